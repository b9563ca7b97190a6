// Loading a Vmfile is linear in its size: a 1 MiB file (the most a Vmfile may be) of env keys once took
// minutes because duplicate keys were checked pair by pair. Compared as a ratio of CPU time between two
// sizes (best of several runs), so the test says "linear, not quadratic" whatever the machine's load.
import { describe, expect, it } from 'vitest';
import { MAX_VMFILE_BYTES, parseVmfileText } from '../../../../src/core/vmfile/parse-yaml.js';
import { compileVmfile } from '../../../../src/core/vmfile/project.js';
import { folderResolver, makeBox, tempDir } from './helpers.js';

const manyEnvKeys = (n: number) => `box: tiny\nenv:\n${Array.from({ length: n }, (_, i) => `  K${i}: v\n`).join('')}`;

function cpuMs(fn: () => unknown): number {
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

describe('Vmfile loading scales linearly', () => {
  it('4x the keys costs about 4x the time, not 16x', () => {
    const small = manyEnvKeys(10_000);
    const large = manyEnvKeys(40_000);
    parseVmfileText(small, '/p/Vmfile'); // warm up the JIT so the first measurement is not the slow one
    const ratio = cpuMs(() => parseVmfileText(large, '/p/Vmfile')) / cpuMs(() => parseVmfileText(small, '/p/Vmfile'));
    // Linear gives ~4, the old pairwise check ~16; 9 leaves room for noise on either side.
    expect(ratio).toBeLessThan(9);
  }, 120_000);

  it('a 1 MiB Vmfile of env keys loads, and still finds a duplicate key among them', async () => {
    const root = tempDir();
    makeBox(root);
    let text = manyEnvKeys(85_000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_VMFILE_BYTES);
    const ok = await compileVmfile('/p/Vmfile', text, { resolveBox: folderResolver(root) });
    expect(ok.errors).toEqual([]);
    expect(Object.keys(ok.machines[0]!.env ?? {})).toHaveLength(85_000);

    text += '  K5: again\n';
    const dup = await compileVmfile('/p/Vmfile', text, { resolveBox: folderResolver(root) });
    expect(dup.errors.map((e) => [e.line, e.col, e.message])).toEqual([[85_003, 3, 'duplicate key "K5": each key may appear only once in a mapping']]);
  }, 120_000);
});
