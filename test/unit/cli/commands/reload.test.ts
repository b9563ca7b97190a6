// A change only re-creating a machine applies (here: `engine:`) is decided before anything is touched:
// `vm status` says re-create (not reload), and `vm reload` refuses with the machine still running.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identify } from '../../../../src/core/machines/process-identity.js';
import { readMachineState, saveMachineState } from '../../../../src/core/machines/state.js';
import { REPO, ensureDist } from '../../../support/dist.js';
import { demoFiles, demoManifest, writeBoxFolder } from '../../core/boxes/fixtures.js';

let root: string;
let env: NodeJS.ProcessEnv;
let engine: ChildProcess | undefined;

beforeAll(() => {
  ensureDist();
  root = mkdtempSync(join(tmpdir(), 'vm-reload-cli-'));
  const bundled = join(root, 'bundled');
  const files = demoFiles();
  writeBoxFolder(join(bundled, 'tiny'), files, demoManifest(files, { name: 'tiny', version: '0.1.0' }));
  env = { ...process.env, VM_HOME: join(root, 'home'), VM_BUNDLED_BOXES_DIR: bundled, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
}, 180_000);
afterAll(() => {
  engine?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const vm = (args: string[], cwd: string) => spawnSync(process.execPath, [join(REPO, 'bin/run.js'), ...args], { cwd, env, encoding: 'utf8' });

describe('a change that needs re-creating', () => {
  it('status says re-create; reload refuses before halting, the machine keeps running', async () => {
    const dir = join(root, 'p');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Vmfile'), 'box: tiny\nengine: builtin\n');
    const config = JSON.parse(vm(['config', '--json'], dir).stdout) as { box: { checksum: string } }[];
    // A machine created on qemu, whose "engine" is a process of ours.
    engine = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    await new Promise((r) => setTimeout(r, 100));
    const who = identify(engine.pid!);
    const now = new Date().toISOString();
    await saveMachineState(
      dir,
      {
        format: 1, name: 'default', engine: 'qemu', state: 'running', sockets: {}, createdAt: now, updatedAt: now,
        box: { name: 'tiny', version: '0.1.0', checksum: config[0]!.box.checksum }, configHash: 'h',
        pid: who.pid, bootId: who.bootId, pidStartTime: who.startTime,
      },
      { index: false },
    );
    const why = "machine 'default' was created on the qemu engine; the Vmfile now says builtin, which only re-creating it applies";

    const status = vm(['status'], dir);
    expect(status.stdout).toBe(`default  running (qemu, pid ${who.pid})\n`);
    expect(status.stderr).toContain(`Warning: ${why} (\`vm reload\` cannot apply it;`);
    expect(JSON.parse(vm(['status', '--json'], dir).stdout).machines[0]).toMatchObject({ vmfileChanged: true, needs: 'recreate' });

    const reload = vm(['reload'], dir);
    expect(reload.status).toBe(1);
    expect(reload.stderr).toContain(`Error: ${why}; \`vm reload\` leaves the machine as it is`);
    expect(reload.stderr).toContain('Hint: set engine: qemu, or `vm destroy default` and `vm up` again');
    expect(engine.exitCode).toBeNull();
    expect(() => process.kill(engine!.pid!, 0)).not.toThrow();
    expect((await readMachineState(dir, 'default'))!.state).toBe('running');
  }, 120_000);
});
