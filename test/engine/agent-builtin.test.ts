// The guest agent on the builtin engine: the tiny box boots on our emulator in an engine process of
// its own over the compiled dist/ (agent-engine-child.mjs: virtio-console port 1 `vm.agent`, with
// agent.sock served by portStream + PortBridge + listenUnix as engine-main wires them), so the
// suite's figures are what `vm` users get. Same suite as on qemu.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { resolveBox } from '../../src/core/boxes/catalog.js';
import { agentSuite, type BootedMachine } from './agent-suite.js';

const BOX_DIR = join(import.meta.dirname, '../../boxes/tiny');
const HAVE_BOX = existsSync(join(BOX_DIR, 'box.json'));
/** The engine process: runs the compiled dist/ (built by the vitest global setup). */
const CHILD = join(import.meta.dirname, 'agent-engine-child.mjs');

describe.skipIf(!HAVE_BOX)('guest agent on the builtin engine', () => {
  const home = mkdtempSync(join(tmpdir(), 'vm-agent-builtin-'));
  let kill: (() => void) | undefined;
  afterAll(() => {
    kill?.();
    rmSync(home, { recursive: true, force: true });
  });

  agentSuite('builtin', async (): Promise<BootedMachine> => {
    const box = await resolveBox('tiny', undefined, { loc: { home, bundledDir: join(BOX_DIR, '..') } });
    const agentSocket = join(home, 'agent.sock');
    const spec = join(home, 'machine.json');
    writeFileSync(spec, JSON.stringify({ kernel: box.kernel, initrd: box.initrd, cmdline: box.cmdline, agentSocket }));
    const proc = spawn(process.execPath, [CHILD, spec], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out = (out + c.toString('latin1')).slice(-20_000)));
    proc.stderr.on('data', (c: Buffer) => (err = (err + c.toString('latin1')).slice(-20_000)));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
    kill = () => proc.kill('SIGKILL');
    const listening = new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (err.includes('[listening]')) resolve();
      };
      proc.stderr.on('data', check);
      void exited.then((e) => reject(new Error(`the engine process ended before listening (${JSON.stringify(e)}):\n${err.slice(-3000)}`)));
    });
    await listening;
    return {
      agentSocket,
      exited,
      consoleTail: () => `${out.slice(-3000)}\nengine stderr:\n${err.slice(-1500)}`,
      kill: () => proc.kill('SIGKILL'),
    };
  }, 180_000);
});
