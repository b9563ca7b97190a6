// Which Vmfile a command acts on: `-f PATH`, else the nearest `Vmfile` in the working folder or above (as Vagrant does).
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';

export const VMFILE_NAME = 'Vmfile';

function kind(p: string): 'file' | 'dir' | 'other' | undefined {
  try {
    const st = statSync(p);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  } catch {
    return undefined;
  }
}

/** Absolute path of the Vmfile to use; a UserError when there is none. `file` may name a folder holding one. */
export function findVmfile(opts: { file?: string; cwd?: string }): string {
  const cwd = resolve(opts.cwd ?? process.cwd());
  if (opts.file !== undefined && opts.file !== '') {
    const given = resolve(cwd, opts.file);
    const k = kind(given);
    if (k === 'file') return given;
    if (k === 'dir') {
      const inside = join(given, VMFILE_NAME);
      if (kind(inside) === 'file') return inside;
      throw new UserError(`no ${VMFILE_NAME} in ${given}`, { hint: `run \`vm init\` there, or pass the file itself with -f` });
    }
    if (k === 'other') throw new UserError(`${given} is not a regular file`);
    throw new UserError(`no such Vmfile: ${given}`);
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, VMFILE_NAME);
    if (kind(candidate) === 'file') return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new UserError(`no ${VMFILE_NAME} in ${cwd} or any folder above it`, {
    hint: 'run `vm init` to write one here, or point at one with `-f PATH`',
  });
}
