// The builtin engine for the agent tests, as a process of its own over the compiled dist/ (as
// engine-main runs): boots the tiny box described by the JSON in argv[2] and serves the agent port
// on its Unix socket through the engine's own pieces (portStream + PortBridge + listenUnix, wired
// as engine-main wires them). Console on stdout; "[listening]" on stderr once the socket is up;
// exits 0 on poweroff. Run inside the vitest worker (vitest's transformed modules, the test client on
// the same thread) the same boot and transfers took about twice as long as they do in a real engine.
import { readFileSync } from 'node:fs';
import { portStream, startBuiltinMachine } from '../../dist/engines/builtin/builtin-machine.js';
import { PortBridge } from '../../dist/engines/builtin/port-bridge.js';
import { listenUnix } from '../../dist/engines/shared/unix-socket.js';

const o = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const vm = await startBuiltinMachine({
  kernel: o.kernel,
  initrd: o.initrd,
  memoryBytes: 256 * 1024 * 1024,
  cpus: 1,
  cmdline: o.cmdline,
  devices: { console: true, rng: true },
});
vm.output.pipe(process.stdout);
const bridge = new PortBridge();
const port = portStream(vm.agentPort);
port.on('data', (b) => bridge.fromGuest(new Uint8Array(b.buffer, b.byteOffset, b.length)));
bridge.setPort({ send: (bytes) => port.write(bytes) });
const server = await listenUnix(o.agentSocket, (s) => bridge.attach(s));
// The test holds our stdin: when its process goes, however it goes, so does this engine.
process.stdin.on('close', () => process.exit(1));
process.stdin.resume();
process.stderr.write('[listening]\n');
const end = await vm.exit;
server.close();
bridge.close();
process.stderr.write(`[exit] ${JSON.stringify(end)}\n`);
process.exit(end.kind === 'poweroff' ? 0 : end.status);
