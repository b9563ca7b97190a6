// A minimal engine process for the disk tests (run with node over the compiled dist/): boots
// the MachineConfig in the JSON file named by argv[2] with all its devices, console on stdout,
// stdin typed into the console. The test kills it with SIGKILL to play a crash.
import { readFileSync } from 'node:fs';
import { bootSpecFromConfig, startBuiltinMachine } from '../../dist/engines/builtin/builtin-machine.js';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const vm = await startBuiltinMachine(bootSpecFromConfig(config), { onLog: (m) => process.stderr.write(`[log] ${m}\n`) });
vm.output.pipe(process.stdout);
process.stdin.on('data', (d) => vm.write(d));
void vm.ready.then(() => process.stderr.write('[ready]\n'));
const end = await vm.exit;
process.stderr.write(`[exit] ${JSON.stringify(end)} ${JSON.stringify(vm.stats())}\n`);
process.exit(end.status);
