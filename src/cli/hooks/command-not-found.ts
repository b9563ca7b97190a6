// oclif's `command_not_found` hook: an unknown command is a UserError in vm's own style (Error: and
// Hint: lines, exit status 1), with the command a Vagrant or Lima user most likely meant. `vm help`
// (not an oclif command) shows the help.
import type { Hook } from '@oclif/core';
import { UserError } from '../../core/errors.js';

/** What other tools call our commands (limactl shell/start/stop/delete/list, vagrant suspend...). */
const FAMILIAR: Record<string, string> = {
  exec: 'vm ssh [NAME] -- COMMAND',
  shell: 'vm ssh [NAME] -- COMMAND',
  run: 'vm ssh [NAME] -- COMMAND',
  start: 'vm up',
  stop: 'vm halt',
  restart: 'vm reload',
  delete: 'vm destroy',
  rm: 'vm destroy',
  list: 'vm status',
  ls: 'vm status',
  ps: 'vm status',
  copy: 'vm cp',
  scp: 'vm cp',
};

/** Edit distance, for a "did you mean" on typos. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

export function unknownCommandError(id: string, known: readonly string[]): UserError {
  // oclif joins every word typed into the id (`exec default ls` -> exec:default:ls): the command is
  // the first word, or the first two under a topic (`box lst`).
  const words = id.split(':');
  const topic = known.some((k) => k.startsWith(`${words[0]}:`));
  const typed = words.slice(0, topic && words.length > 1 ? 2 : 1).join(' ');
  const familiar = FAMILIAR[typed];
  if (familiar) return new UserError(`'${typed}' is not a vm command`, { hint: `vm does this with \`${familiar}\` (\`vm help\` lists every command)` });
  const near = known
    .map((k) => k.replaceAll(':', ' '))
    .map((k) => ({ k, d: distance(typed, k) }))
    .filter(({ k, d }) => d <= Math.max(1, Math.floor(k.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  return new UserError(`'${typed}' is not a vm command`, { hint: near ? `did you mean \`vm ${near.k}\`? (\`vm help\` lists every command)` : '`vm help` lists every command' });
}

const hook: Hook<'command_not_found'> = async function (opts) {
  // `vm help [COMMAND]`, as git and vagrant take it: the same help as `--help`.
  const [first, ...rest] = opts.id.split(':');
  if (first === 'help') {
    const { loadHelpClass } = await import('@oclif/core');
    const Help = await loadHelpClass(opts.config);
    await new Help(opts.config).showHelp([...rest, ...(opts.argv ?? [])]);
    return;
  }
  throw unknownCommandError(opts.id, opts.config.commandIDs);
};

export default hook;
