#!/usr/bin/env node
// Entry point of the `vm` CLI: oclif finds the compiled commands under dist/cli/commands.
// `vm status` is answered first without oclif when its arguments are plain (see fast-status.ts).
const answered = process.argv[2] === 'status' && (await (await import('../dist/cli/fast-status.js')).runFastStatus(process.argv.slice(3)));
if (!answered) {
  const { run, flush, handle } = await import('@oclif/core');
  try {
    await run(process.argv.slice(2), import.meta.url);
    await flush();
  } catch (err) {
    // Errors inside commands are reported by BaseCommand; what reaches here is an unknown command
    // (the command_not_found hook's UserError) or oclif's own: both in vm's Error:/Hint: style.
    const { reportError } = await import('../dist/cli/report-error.js');
    if (err instanceof Error) reportError(err);
    else await handle(err);
  }
}
