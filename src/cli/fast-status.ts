// `vm status` without oclif: oclif's start (loading its modules, the manifest, the config) costs
// about 0.1 s, more than answering does, and status is what scripts and prompts call in a loop.
// bin/run.js sends `vm status ...` here first. Only the plain forms are handled: machine names,
// --json, -f/--file. Anything else (--help, a typo, `--`) returns false and oclif's Status command,
// which stays the reference for the flags, parses it and prints its usual help or error.

export interface StatusArgs {
  names: string[];
  file?: string;
  json: boolean;
}

/** The arguments after `status`, or undefined when they need oclif's parser. */
export function parseStatusArgs(argv: readonly string[]): StatusArgs | undefined {
  const out: StatusArgs = { names: [], json: false };
  let sawJson = false;
  let sawFile = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json' && !sawJson) {
      out.json = sawJson = true;
    } else if ((a === '-f' || a === '--file') && !sawFile && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) {
      out.file = argv[++i];
      sawFile = true;
    } else if (a.startsWith('--file=') && !sawFile && a.length > '--file='.length) {
      out.file = a.slice('--file='.length);
      sawFile = true;
    } else if (a.startsWith('-')) {
      return undefined;
    } else {
      out.names.push(a);
    }
  }
  return out;
}

/** Answers `vm status` when it can; false means "let oclif do it". */
export async function runFastStatus(argv: readonly string[]): Promise<boolean> {
  const args = parseStatusArgs(argv);
  if (!args) return false;
  const { reportError } = await import('./report-error.js');
  try {
    const { projectStatus } = await import('../core/machines/project-status.js');
    const { printStatus } = await import('./ui/status-view.js');
    // --file's env, as oclif's flag definition (src/cli/flags.ts) has it.
    printStatus(await projectStatus({ file: args.file ?? (process.env.VM_FILE || undefined), names: args.names }), args.json);
  } catch (err) {
    reportError(err as Error);
  }
  return true;
}
