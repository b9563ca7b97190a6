// `vm suspend` / `vm resume` are not available yet: they must say so and exit 5, never pretend.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../support/dist.js';

describe('commands not available yet', () => {
  for (const cmd of ['suspend', 'resume']) {
    it(`vm ${cmd} explains itself and exits 5`, () => {
      const r = spawnSync(process.execPath, [join(REPO, 'bin/run.js'), cmd, 'default'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.status).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `Error: \`vm ${cmd}\` is not available yet: vm cannot save and restore a running machine's memory\nHint: \`vm halt\` then \`vm up\` keeps the disks (running programs are not kept)\n`,
      );
    });
  }
});
