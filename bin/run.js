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
    // Errors inside commands are reported by BaseCommand; what reaches here is oclif's own (an
    // unknown command or topic). Its exit code 2 means "wrong machine state" in vm: bad input is 1.
    if (err?.oclif?.exit === 2) err.oclif.exit = 1;
    await handle(err);
  }
}
