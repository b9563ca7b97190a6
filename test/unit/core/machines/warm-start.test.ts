// Warm start's identity step (src/core/machines/warm-start.ts): the new host key reaches the guest as
// a printf format of octal escapes, which a POSIX printf (busybox ash's builtin in the guest, the
// host's sh here) must write back byte for byte.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostKeyPair, printfOctal } from '../../../../src/core/machines/warm-start.js';

/** What `printf "$FORMAT"` writes in the host's sh, the format coming from the environment as in the guest. */
function printfThroughShell(format: string): Buffer {
  const r = spawnSync('sh', ['-c', 'printf "$F"'], { env: { ...process.env, F: format } });
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('printfOctal', () => {
  it('makes a format printf writes back as every byte value, NUL, % and backslash included', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const format = printfOctal(all);
    expect(format).toMatch(/^(\\[0-7]{3})+$/);
    expect(format).toHaveLength(256 * 4);
    expect([...printfThroughShell(format)]).toEqual([...all]);
  });

  it('carries a dropbear host key exactly', () => {
    const key = hostKeyPair();
    expect(printfThroughShell(printfOctal(key.dropbear)).equals(key.dropbear)).toBe(true);
  });
});
