// An engine process for the suspend/resume tests (over the compiled dist/): boots the MachineConfig in
// argv[2], or with argv[4] = "restore" continues from the state file argv[3]. Console on stdout, stdin
// typed into the console. SIGUSR2 saves the state to argv[3] and ends the machine ("[saved] {...}" on
// stderr); SIGUSR1 saves it and keeps running.
import { readFileSync } from 'node:fs';
import { bootSpecFromConfig, startBuiltinMachine } from '../../dist/engines/builtin/builtin-machine.js';
import { readStateFile } from '../../dist/engines/builtin/snapshot/state-file.js';

const [configFile, statePath, mode] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configFile, 'utf8'));
let vm;
try {
  const restore = mode === 'restore' ? await readStateFile(statePath) : undefined;
  vm = await startBuiltinMachine(bootSpecFromConfig(config), { onLog: (m) => process.stderr.write(`[log] ${m}\n`), restore });
} catch (err) {
  process.stderr.write(`[restore-failed] ${err.message}\n`);
  process.exit(1);
}
vm.output.pipe(process.stdout);
process.stdin.on('data', (d) => vm.write(d));
void vm.ready.then(() => process.stderr.write('[ready]\n'));
const save = (thenStop) => async () => {
  try {
    const info = await vm.saveState(statePath, { machineName: config.name, thenStop });
    process.stderr.write(`[saved] ${JSON.stringify(info)}\n`);
  } catch (err) {
    process.stderr.write(`[save-failed] ${err.stack}\n`);
  }
};
process.on('SIGUSR2', save(true));
process.on('SIGUSR1', save(false));
process.stderr.write('[started]\n');
const end = await vm.exit;
process.stderr.write(`[exit] ${JSON.stringify(end)} ${JSON.stringify(vm.stats())}\n`);
process.exit(end.status);
