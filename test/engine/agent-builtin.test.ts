// The guest agent on the builtin engine: the tiny box boots in this process on our emulator with
// its virtio-console (port 1 `vm.agent`), and agent.sock is served by the engine's own pieces
// (portStream + PortBridge + listenUnix, wired as engine-main does). Same suite as on qemu.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { afterAll, describe } from 'vitest';
import { resolveBox } from '../../src/core/boxes/catalog.js';
import { portStream, startBuiltinMachine } from '../../src/engines/builtin/builtin-machine.js';
import { PortBridge } from '../../src/engines/builtin/port-bridge.js';
import { listenUnix } from '../../src/engines/shared/unix-socket.js';
import { agentSuite, type BootedMachine } from './agent-suite.js';

const BOX_DIR = join(import.meta.dirname, '../../boxes/tiny');
const HAVE_BOX = existsSync(join(BOX_DIR, 'box.json'));

describe.skipIf(!HAVE_BOX)('guest agent on the builtin engine', () => {
  const home = mkdtempSync(join(tmpdir(), 'vm-agent-builtin-'));
  let server: Server | undefined;
  afterAll(() => {
    server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  agentSuite('builtin', async (): Promise<BootedMachine> => {
    const box = await resolveBox('tiny', undefined, { loc: { home, bundledDir: join(BOX_DIR, '..') } });
    const vm = await startBuiltinMachine({
      kernel: box.kernel,
      initrd: box.initrd,
      memoryBytes: 256 * 1024 * 1024,
      cpus: 1,
      cmdline: box.cmdline,
      devices: { console: true, rng: true },
    });
    vm.output.resume();
    const bridge = new PortBridge();
    const port = portStream(vm.agentPort!);
    port.on('data', (b: Buffer) => bridge.fromGuest(new Uint8Array(b.buffer, b.byteOffset, b.length)));
    bridge.setPort({ send: (bytes) => port.write(bytes) });
    const agentSocket = join(home, 'agent.sock');
    server = await listenUnix(agentSocket, (s) => bridge.attach(s));
    return {
      agentSocket,
      exited: vm.exit.then((e) => ({ code: e.kind === 'poweroff' ? 0 : e.status, signal: null })),
      consoleTail: () => vm.consoleTail().slice(-3000),
      kill: () => vm.stop(),
    };
  }, 180_000);
});
