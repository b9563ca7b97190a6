// Payload encoding on the host: EXEC requests are checked before sending (NUL, env names, size)
// and laid out as PROTOCOL.md says; the readers refuse payloads shorter than their fields.
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../../src/core/agent/errors.js';
import { encodeExecRequest } from '../../../../src/core/agent/exec-request.js';
import { parseError, parseHelloAck, PayloadError, PayloadReader, PayloadWriter } from '../../../../src/core/agent/payloads.js';
import { MAX_LIST, MAX_PAYLOAD } from '../../../../src/core/agent/protocol.js';
import { signalName, signalNumber } from '../../../../src/core/agent/signals.js';

describe('EXEC requests', () => {
  it('are laid out as flags, window, argv list, env list, cwd', () => {
    const p = encodeExecRequest({ argv: ['ls', Buffer.from([0xff, 0x0a])], env: { A: 'b' }, cwd: '/t', clearEnv: true }, 4096);
    expect([...p]).toEqual([
      1, 0, 0, 0, // flags: CLEAR_ENV
      0, 16, 0, 0, // window 4096
      2, 0, 0, 0, 2, 0, 0, 0, 0x6c, 0x73, 2, 0, 0, 0, 0xff, 0x0a, // argv
      1, 0, 0, 0, 3, 0, 0, 0, 0x41, 0x3d, 0x62, // env
      2, 0, 0, 0, 0x2f, 0x74, // cwd
    ]);
  });

  it('refuse what a command line or an environment cannot carry, naming it', () => {
    const bad = (req: Parameters<typeof encodeExecRequest>[0]): AgentError => {
      try {
        encodeExecRequest(req, 1024);
      } catch (err) {
        return err as AgentError;
      }
      throw new Error('accepted');
    };
    expect(bad({ argv: ['a', 'b\0c'] }).message).toBe('argument 1 ("b\\u0000c") contains a NUL byte, which a command line cannot carry');
    expect(bad({ argv: [Buffer.from([0x41, 0])] }).message).toMatch(/argument 0 .* NUL byte/);
    expect(bad({ argv: ['env'], env: { K: 'v\0' } }).message).toBe('environment variable K contains a NUL byte, which an environment cannot carry');
    expect(bad({ argv: ['env'], env: { 'K=1': 'v' } }).message).toMatch(/name "K=1" is not valid/);
    expect(bad({ argv: ['env'], env: { '': 'v' } }).message).toMatch(/name "" is not valid/);
    expect(bad({ argv: ['pwd'], cwd: '/a\0' }).message).toBe('the working directory contains a NUL byte');
    expect(bad({ argv: [] }).message).toBe('exec needs a command: argv is empty');
    expect(bad({ argv: Array.from({ length: MAX_LIST + 1 }, () => 'x') }).message).toMatch(/at most 4096 arguments/);
    expect(bad({ argv: ['x'.repeat(MAX_PAYLOAD)] }).message).toMatch(/more than the agent's limit of 65536; pass large data through stdin or a file/);
    expect(() => encodeExecRequest({ argv: ['x'], env: { A: 'a' } }, 1)).not.toThrow();
    expect(bad({ argv: ['a\0'] }).kind).toBe('request');
  });
});

describe('payload readers', () => {
  it('read what the writer wrote', () => {
    const p = new PayloadWriter().u8(7).u32(0xdeadbeef).bytes(Buffer.from('hi')).list([Buffer.from('a'), Buffer.alloc(0)]).done();
    const r = new PayloadReader(p);
    expect([r.u8(), r.u32(), r.bytes().toString(), r.list().map(String)]).toEqual([7, 0xdeadbeef, 'hi', ['a', '']]);
    expect(r.remaining).toBe(0);
  });

  it('refuse payloads shorter than their fields, and absurd list counts', () => {
    expect(() => new PayloadReader(Buffer.from([1, 2, 3])).u32()).toThrow(PayloadError);
    expect(() => new PayloadReader(new PayloadWriter().u32(10).done()).bytes()).toThrow(PayloadError);
    expect(() => new PayloadReader(new PayloadWriter().u32(MAX_LIST + 1).done()).list()).toThrow(/4097 entries/);
    expect(() => parseHelloAck(Buffer.alloc(20))).toThrow(PayloadError);
    expect(() => parseError(Buffer.from([2, 0, 0, 0, 9, 0, 0, 0, 0x41]))).toThrow(PayloadError);
  });

  it('parse HELLO_ACK and its facts', () => {
    const nonce = Buffer.alloc(16, 0xab);
    const facts = ['version=0.1.0', 'boot_id=b', 'arch=riscv64', 'kernel=6.1', 'pid=42', 'caps=exec,power', 'future=x'].map((s) => Buffer.from(s));
    const p = new PayloadWriter().raw(nonce).u32(1).u32(65536).u32(32).u32(1024).u32(2048).list(facts).done();
    expect(parseHelloAck(p)).toEqual({
      nonce, protocol: 1, maxPayload: 65536, maxSessions: 32, stdinWindow: 1024, fileWindow: 2048,
      version: '0.1.0', bootId: 'b', arch: 'riscv64', kernel: '6.1', pid: 42, capabilities: ['exec', 'power'],
    });
  });
});

describe('signals', () => {
  it('map names and numbers both ways', () => {
    expect([signalName(9), signalName(15), signalName(34), signalName(40)]).toEqual(['SIGKILL', 'SIGTERM', 'SIGRTMIN', 'SIGRTMIN+6']);
    expect([signalNumber('SIGKILL'), signalNumber('term'), signalNumber(2), signalNumber('NOPE'), signalNumber(0)]).toEqual([9, 15, 2, undefined, undefined]);
  });
});
