// The one crash-safe file replacement (src/engines/shared/atomic-file.ts): the builtin engine's launch
// file and every record core keeps (through core/machines/safe-fs.ts, which adds user messages).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../../src/engines/shared/atomic-file.js';
import { writeFileAtomic as writeRecord } from '../../../../src/core/machines/safe-fs.js';
import { UserError } from '../../../../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'vm-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic file replacement', () => {
  it('replaces the content whole, with the mode asked for whatever the umask, and leaves no temp file', async () => {
    const path = join(dir, 'launch.json');
    writeFileSync(path, 'old', { mode: 0o644 });
    const before = process.umask(0o000);
    try {
      await writeFileAtomic(path, 'new content\n');
    } finally {
      process.umask(before);
    }
    expect(readFileSync(path, 'utf8')).toBe('new content\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]), 0o640);
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['launch.json']);
  });

  it('a failed replacement keeps the target as it was and removes its temp file', async () => {
    const sub = join(dir, 'fail');
    mkdirSync(join(sub, 'target'), { recursive: true });
    const err = await writeFileAtomic(join(sub, 'target'), 'x').catch((e: NodeJS.ErrnoException) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(readdirSync(sub)).toEqual(['target']);
    // core's records: the fs errors a user can act on become messages naming the file
    const missing = join(dir, 'no-such-dir', 'x.json');
    await expect(writeFileAtomic(missing, 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    const notDir = join(dir, 'launch.json', 'x.json');
    await expect(writeRecord(notDir, 'x')).rejects.toThrow(new UserError(`a component of ${notDir} is not a directory (while writing it)`));
  });
});
