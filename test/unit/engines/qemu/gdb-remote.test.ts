// The gdbstub client's framing (GDB manual E.1 "Overview": `$data#cs`, `}` escapes, `*` run-length),
// its target-description lookup, and one conversation with a scripted stub on a real Unix socket:
// a stop reply sent unasked is skipped, a description read in two pieces is joined, a register is
// read and written. The real gdbstub is exercised by test/e2e/suspend.test.ts (qemu resume).
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { frame, GdbRemote, GdbRemoteError, registerNumber, unframe } from '../../../../src/engines/qemu/gdb-remote.js';

describe('packet framing', () => {
  it('checksums the payload modulo 256', () => {
    expect(frame('g')).toBe('$g#67');
    expect(frame('')).toBe('$#00');
    expect(frame('qSupported')).toBe(`$qSupported#${([...'qSupported'].reduce((s, c) => s + c.charCodeAt(0), 0) & 0xff).toString(16)}`);
  });

  it('takes the first whole packet, skipping acks, and leaves the rest', () => {
    expect(unframe('+$OK#9a+$E01')).toEqual({ payload: 'OK', rest: '+$E01', checksumOk: true });
    expect(unframe('$OK#9')).toBeUndefined();
    expect(unframe('+')).toBeUndefined();
    expect(unframe('$OK#00')?.checksumOk).toBe(false);
  });

  it('expands run-length encoding and undoes escapes', () => {
    // "0* " is '0' then 32-29 = 3 more: four zeros
    const rle = frame('0* ').replace(/#..$/, '');
    expect(unframe(`${rle}#${(['0', '*', ' '].reduce((s, c) => s + c.charCodeAt(0), 0) & 0xff).toString(16)}`)?.payload).toBe('0000');
    const escaped = `}${String.fromCharCode('#'.charCodeAt(0) ^ 0x20)}`;
    expect(unframe(frame(escaped))?.payload).toBe('#');
  });
});

describe('registerNumber', () => {
  const xml = '<feature name="org.gnu.gdb.riscv.csr"><reg name="sstatus" bitsize="64" regnum="322"/><reg name="sie" bitsize="64"/></feature>';
  it('finds a register by name', () => expect(registerNumber(xml, 'sstatus')).toBe(322));
  it('is undefined for a register not described or without a number', () => {
    expect(registerNumber(xml, 'stimecmp')).toBeUndefined();
    expect(registerNumber(xml, 'sie')).toBeUndefined();
  });
});

describe('GdbRemote against a scripted stub', () => {
  let dir: string | undefined;
  let server: net.Server | undefined;
  afterEach(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A stub that answers each request with `answers[request]`, after sending a stop reply on connect. */
  async function stub(answers: Record<string, string>, seen: string[]): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'gdb-'));
    const path = join(dir, 'gdb.sock');
    server = net.createServer((sock) => {
      sock.setEncoding('latin1');
      sock.write(frame('T02thread:01;'));
      let buf = '';
      sock.on('data', (d: string) => {
        buf += d;
        for (let p = unframe(buf); p; p = unframe(buf)) {
          buf = p.rest;
          seen.push(p.payload);
          sock.write(`+${frame(answers[p.payload] ?? '')}`);
        }
      });
    });
    await new Promise<void>((res) => server!.listen(path, res));
    return path;
  }

  it('skips the unasked stop reply, joins a description read in pieces, reads and writes a register', async () => {
    const seen: string[] = [];
    const firstPiece = '<target><xi:include href="csr.xml"/>';
    const path = await stub(
      {
        'qSupported:xmlRegisters=riscv': 'PacketSize=1000;qXfer:features:read+',
        'qXfer:features:read:target.xml:0,fff': `m${firstPiece}`,
        [`qXfer:features:read:target.xml:${firstPiece.length.toString(16)},fff`]: 'l</target>',
        'qXfer:features:read:csr.xml:0,fff': 'l<feature><reg name="sstatus" bitsize="64" regnum="322"/></feature>',
        'p18f': '0102030405060708',
        'P18f=0102030405060708': 'OK',
        D: 'OK',
      },
      seen,
    );
    const g = await GdbRemote.connect(path);
    try {
      expect(await g.request('qSupported:xmlRegisters=riscv')).toContain('PacketSize');
      const xml = await g.targetDescription();
      expect(registerNumber(xml, 'sstatus')).toBe(322);
      const v = await g.readRegister(0x18f);
      expect(v.readBigUInt64LE()).toBe(0x0807060504030201n);
      await g.writeRegister(0x18f, v);
      await g.detach();
      expect(seen).toContain('P18f=0102030405060708');
      // a register the stub cannot read is an error, not a value
      await expect(g.readRegister(1)).rejects.toBeInstanceOf(GdbRemoteError);
    } finally {
      g.close();
    }
  });

  it('reports a stub that is not there', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gdb-'));
    await expect(GdbRemote.connect(join(dir, 'none.sock'), 500)).rejects.toThrow(/cannot connect to the gdbstub/);
  });
});
