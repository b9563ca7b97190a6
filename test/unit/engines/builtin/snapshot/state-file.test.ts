// The builtin engine's state file: a round trip keeps every non-zero page and the state tree exactly
// (and clears what a fresh machine's loader left where the saved RAM was zero), with RAM compressed
// or stored as runs; a truncated file, a flipped byte, another format and another vm version are
// refused with messages naming the file, by a check of the file alone and by a load alike.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Ram } from '../../../../../src/emulator/memory/ram.js';
import { captureState, checkStateFile, readStateFile, STATE_FILE_FORMAT, VM_VERSION, vmVersionFrom, writeStateFile, type RamEncoding } from '../../../../../src/engines/builtin/snapshot/state-file.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'vm-state-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sampleRam(): Ram {
  const ram = new Ram(0x8000_0000, 8 * MiB);
  // Scattered pages, a run longer than one record, and a page whose only set byte is its last.
  for (let p = 0; p < 2048; p += 37) ram.bytes[p * 4096 + (p % 4096)] = (p & 0xff) | 1;
  for (let i = 0; i < 300 * 4096; i++) ram.bytes[MiB + i] = (i * 2654435761) >>> 24;
  ram.bytes[5 * MiB + 4095] = 0x80;
  return ram;
}

const header = { machine: 'default', ramBytes: 8 * MiB, cpus: 1, savedAt: '2026-12-06T00:00:00.000Z', engine: { ready: true } };
const state = { version: 1, big: 1n << 70n, bytes: new Uint8Array([0, 1, 2, 255]), inf: Infinity, list: [1, 'two', null, false] };
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Both checks of `path`: the file alone (as warm images are) and a load with its RAM applied. */
async function refusals(path: string): Promise<[string, string]> {
  const why = async (p: Promise<unknown>): Promise<string> => p.then(() => 'accepted', (err: Error) => err.message);
  const load = async (): Promise<void> => (await readStateFile(path)).applyRam(new Ram(0x8000_0000, 8 * MiB));
  return [await why(checkStateFile(path)), await why(load())];
}

describe('state file', () => {
  for (const encoding of ['deflate', 'runs'] as RamEncoding[]) {
    it(`round-trips RAM sparsely (${encoding}) and the state tree exactly; stale loader bytes are cleared`, async () => {
      const ram = sampleRam();
      const path = join(dir, `ok-${encoding}.state`);
      const captured = captureState(header, state, ram, { ram: encoding });
      const size = await writeStateFile(path, captured);
      const expectedPages = new Set<number>();
      for (let p = 0; p < 2048; p++) if (ram.bytes.subarray(p * 4096, (p + 1) * 4096).some((b) => b !== 0)) expectedPages.add(p);
      expect(captured.ramStored).toBe(expectedPages.size * 4096);
      if (encoding === 'deflate') expect(size).toBeLessThan(captured.ramStored);
      else expect(size).toBeGreaterThan(captured.ramStored);

      expect(await checkStateFile(path)).toEqual({ vm: VM_VERSION, ...header });
      const loaded = await readStateFile(path);
      expect(loaded.header).toEqual({ vm: VM_VERSION, ...header });
      expect(loaded.state).toEqual(state);
      const fresh = new Ram(0x8000_0000, 8 * MiB);
      fresh.bytes.fill(0xaa, 7 * MiB, 7 * MiB + 8192); // as a kernel image loaded where the saved RAM is zero
      await loaded.applyRam(fresh);
      expect(sha(fresh.bytes)).toBe(sha(ram.bytes));
      // Into RAM nothing was written to since it was made (a machine built to resume).
      const untouched = new Ram(0x8000_0000, 8 * MiB);
      await (await readStateFile(path)).applyRam(untouched, { fresh: true });
      expect(sha(untouched.bytes)).toBe(sha(ram.bytes));
    });

    it(`refuses truncated, corrupted, other-format and other-version files (${encoding}), naming the file`, async () => {
      const path = join(dir, `bad-${encoding}.state`);
      await writeStateFile(path, captureState(header, state, sampleRam(), { ram: encoding }));
      const good = readFileSync(path);
      const damaged = `the saved machine state ${path} is damaged`;

      writeFileSync(path, good.subarray(0, good.length - 100));
      for (const m of await refusals(path)) expect(m).toMatch(new RegExp(`^${damaged} \\(truncated: a record runs past the end\\); it was not loaded$`));
      writeFileSync(path, good.subarray(0, good.length - 1));
      for (const m of await refusals(path)) expect(m).toContain(`${damaged} (truncated`);
      writeFileSync(path, good.subarray(0, 20));
      for (const m of await refusals(path)) expect(m).toContain(`${damaged} (truncated)`);
      writeFileSync(path, Buffer.alloc(0));
      for (const m of await refusals(path)) expect(m).toContain(`${damaged} (not a vm state file)`);
      writeFileSync(path, Buffer.concat([good, Buffer.alloc(1)]));
      for (const m of await refusals(path)) expect(m).toContain(`${damaged} (bytes after the end record)`);

      // A flipped byte in RAM, in the machine state, in the header, in a record's head: each is found.
      const statePart = good.indexOf(Buffer.from('"engine"')) + 200;
      for (const at of [good.length - 5000, statePart, 40, good.readUInt32LE(12) + 16 + 4 + 2]) {
        const flipped = Buffer.from(good);
        flipped[at]! ^= 1;
        writeFileSync(path, flipped);
        for (const m of await refusals(path)) expect(m).toMatch(new RegExp(`^${damaged} \\((header )?checksum mismatch: corrupted\\)`));
      }

      const otherFormat = Buffer.from(good);
      otherFormat.writeUInt32LE(STATE_FILE_FORMAT + 1, 8);
      writeFileSync(path, otherFormat);
      for (const m of await refusals(path)) expect(m).toBe(`the saved machine state ${path} has format ${STATE_FILE_FORMAT + 1}; this vm (${VM_VERSION}) reads format ${STATE_FILE_FORMAT}`);

      // Another version's file with a valid checksum: refused by version, not as damage.
      const text = good.toString('latin1').replace(`"vm":"${VM_VERSION}"`, `"vm":"${'9'.repeat(VM_VERSION.length)}"`);
      const other = Buffer.from(text, 'latin1');
      const headerEnd = 16 + other.readUInt32LE(12);
      other.writeUInt32LE(crc32(other.subarray(16, headerEnd), crc32(other.subarray(0, 16))), headerEnd);
      writeFileSync(path, other);
      for (const m of await refusals(path)) expect(m).toBe(`the saved machine state ${path} was written by vm ${'9'.repeat(VM_VERSION.length)}; this is vm ${VM_VERSION}, which does not load another version's state`);

      for (const m of await refusals(join(dir, 'missing.state'))) expect(m).toBe(`the saved machine state ${join(dir, 'missing.state')} is missing`);
    });
  }

  it('refuses to apply a state to RAM of another size', async () => {
    const path = join(dir, 'size.state');
    await writeStateFile(path, captureState(header, state, sampleRam(), { ram: 'runs' }));
    const loaded = await readStateFile(path);
    await expect(loaded.applyRam(new Ram(0x8000_0000, 16 * MiB))).rejects.toThrow(`the state is of ${8 * MiB} bytes of RAM, the machine has ${16 * MiB}`);
  });

  it('leaves the old file whole when writing fails midway (temp file + rename)', async () => {
    const path = join(dir, 'atomic.state');
    await writeStateFile(path, captureState(header, state, sampleRam()));
    const before = readFileSync(path);
    const broken = captureState(header, state, sampleRam());
    (broken.chunks as unknown[]).splice(3, 0, null);
    await expect(writeStateFile(path, broken)).rejects.toThrow();
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readFileSync(path).length).toBe(before.length);
  });
});

describe('VM_VERSION', () => {
  const repo = join(import.meta.dirname, '../../../../..');
  const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

  it("is vm's package.json version, from the module and from the engine's bundle alike", () => {
    expect(VM_VERSION).toBe(version);
    // the compiled module's folder and the bundle's (scripts/bundle-engine.js), one level apart
    expect(vmVersionFrom(join(repo, 'dist/engines/builtin/snapshot'))).toBe(version);
    expect(vmVersionFrom(join(repo, 'dist/engines/builtin'))).toBe(version);
  });

  it('skips package.json files of other packages on the way up, and is unknown without one', () => {
    const nested = join(dir, 'version', 'a', 'b');
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(dir, 'version', 'a', 'package.json'), JSON.stringify({ name: 'other', version: '9.9.9' }));
    writeFileSync(join(dir, 'version', 'package.json'), JSON.stringify({ name: 'vm', version: '1.2.3' }));
    expect(vmVersionFrom(nested)).toBe('1.2.3');
    expect(vmVersionFrom(join(dir, 'version-none'))).toBe('unknown');
  });
});
