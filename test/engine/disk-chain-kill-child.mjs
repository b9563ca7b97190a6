// Runs one disk-chain operation over the compiled dist/ and dies by SIGKILL at the named step (as a
// kill -9 there would: no catch, no finally, no cleanup). argv: dir op step.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { chainAt } from '../../dist/engines/builtin/disk/layered-disk.js';

const [dir, op, at] = process.argv.slice(2);
const base = JSON.parse(readFileSync(join(dir, 'base.json'), 'utf8'));
const chain = chainAt(join(dir, 'root.overlay'), { base }, {
  step: (s) => {
    if (s === at) process.kill(process.pid, 'SIGKILL');
  },
});
if (op === 'freeze') await chain.freeze('lc');
else if (op === 'restore') await chain.restore('la');
else await chain.collapse(new Set(['lb']));
process.stdout.write('finished\n');
