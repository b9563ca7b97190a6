// The engine contract's errors (src/engines/errors.ts) as each engine throws them, and how core turns
// them into the user's message and exit code (src/core/engine-errors.ts) and the CLI shows them
// (src/cli/report-error.ts): by class and kind, whatever the engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EXIT, UserError } from '../../../src/core/errors.js';
import { engineUserError, startFailure } from '../../../src/core/engine-errors.js';
import { reportError } from '../../../src/cli/report-error.js';
import { BootFileError, DiskError, EngineConfigError, EngineError, EngineStartError, EngineUnsupportedError, ExternalEngineError } from '../../../src/engines/errors.js';
import { readBootImage } from '../../../src/engines/builtin/boot-files.js';
import { qemuArgv } from '../../../src/engines/qemu/argv.js';
import { QemuEngine } from '../../../src/engines/qemu/qemu-engine.js';
import { checkDisksPresent, diskPlan } from '../../../src/engines/qemu/qemu-img.js';
import { LibvirtEngine } from '../../../src/engines/libvirt/libvirt-engine.js';
import { LibvirtConfigError } from '../../../src/engines/libvirt/errors.js';
import { classifyVirshFailure } from '../../../src/engines/libvirt/virsh.js';
import { riscvConfig, runtimePaths } from '../engines/qemu/machine-fixture.js';

const GiB = 1024 ** 3;
const LOG = '/state/engine.log';
const dir = mkdtempSync(join(tmpdir(), 'vm-engine-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function thrown(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function asUser(err: unknown): UserError {
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

/** A riscv64 config with more virtio devices than the virt machine has slots. */
function tooManyDisks() {
  const c = riscvConfig();
  const disks = [1, 2, 3, 4, 5, 6].map((n) => ({ name: `d${n}`, sizeBytes: GiB, path: `${c.project.stateDir}/disks/d${n}.raw`, format: 'raw' as const }));
  return riscvConfig({ disks });
}

describe('engine errors', () => {
  it('each engine throws the contract classes, told apart by kind', async () => {
    const bootFile = await thrown(readBootImage(join(dir, 'no-such-kernel'), 'kernel', 1024));
    expect(bootFile).toBeInstanceOf(BootFileError);
    const qemuDisk = await thrown(checkDisksPresent(diskPlan(riscvConfig({ project: { dir, vmfile: join(dir, 'Vmfile'), stateDir: dir } }))));
    expect(qemuDisk).toBeInstanceOf(DiskError);
    // the qemu engine's disk error is the same class the builtin engine throws, not one renamed to look like it
    expect((qemuDisk as DiskError).name).toBe('DiskError');
    const qemuConfig = await thrown(() => qemuArgv({ config: tooManyDisks(), paths: runtimePaths('/s'), accel: 'tcg', disks: diskPlan(tooManyDisks()), pidFile: '/s/qemu.pid' }));
    expect(qemuConfig).toBeInstanceOf(EngineConfigError);
    expect(await thrown(new QemuEngine().snapshotRunning())).toBeInstanceOf(EngineUnsupportedError);
    expect(await thrown(new LibvirtEngine().snapshotRunning())).toBeInstanceOf(EngineUnsupportedError);
    expect(new LibvirtConfigError('x')).toBeInstanceOf(ExternalEngineError);
    const virsh = classifyVirshFailure('qemu:///system', 'error: failed to connect to the hypervisor\nerror: Permission denied');
    expect(virsh).toBeInstanceOf(ExternalEngineError);
    expect([bootFile, qemuDisk, qemuConfig, virsh].map((e) => (e as EngineError).kind)).toEqual(['boot-file', 'disk', 'config', 'external']);
  });

  it('core turns every engine error into a UserError with the exit code its kind has in the CLI table', async () => {
    const unsupported = asUser(engineUserError(await thrown(new QemuEngine().snapshotRunning())));
    expect(unsupported.exitCode).toBe(EXIT.unsupported);
    const config = asUser(engineUserError(await thrown(() => qemuArgv({ config: tooManyDisks(), paths: runtimePaths('/s'), accel: 'tcg', disks: diskPlan(tooManyDisks()), pidFile: '/s/qemu.pid' }))));
    expect(config.exitCode).toBe(EXIT.userError);
    expect(config.options.hint).toBe('declare fewer disks, network cards or synced folders');
    const virsh = asUser(engineUserError(classifyVirshFailure('qemu:///system', 'error: failed to connect to the hypervisor\nerror: Permission denied')));
    expect(virsh.exitCode).toBe(EXIT.external);
    expect(virsh.message).toMatch(/^permission denied on libvirt's socket for qemu:\/\/\/system/);
    // every libvirt error is an external program's (its config refusals too: domain-xml.test.ts)
    expect(asUser(engineUserError(new LibvirtConfigError('no', 'change it'))).exitCode).toBe(EXIT.external);
    // a bug stays a bug
    const bug = new TypeError('x is undefined');
    expect(engineUserError(bug)).toBe(bug);
  });

  it('a start failure says the machine did not start, with the engine log tail; a disk or boot file error is shown as it is', async () => {
    const started = asUser(startFailure('web', new EngineStartError('qemu ended while starting (exit code 1)', 'line 1\nqemu: Could not set up host forwarding rule\n', undefined), LOG));
    expect(started.message).toBe("machine 'web' did not start: qemu ended while starting (exit code 1)\n  | line 1\n  | qemu: Could not set up host forwarding rule");
    expect(started.options.hint).toBe(`the whole engine log is ${LOG}`);
    expect(started.exitCode).toBe(EXIT.userError);
    // no log tail: no empty `|` line under the message
    const config = asUser(startFailure('web', await thrown(() => qemuArgv({ config: tooManyDisks(), paths: runtimePaths('/s'), accel: 'tcg', disks: diskPlan(tooManyDisks()), pidFile: '/s/qemu.pid' })), LOG));
    expect(config.message).toMatch(/^machine 'web' did not start: machine 'web' needs 9 virtio devices .*\(declare fewer disks, network cards or synced folders\)$/);
    expect(config.options.hint).toBe('declare fewer disks, network cards or synced folders');
    const libvirt = asUser(startFailure('web', new ExternalEngineError('the domain keeper ended while starting (exit code 1)', undefined, 'virsh: error'), LOG));
    expect(libvirt.message).toBe("machine 'web' did not start: the domain keeper ended while starting (exit code 1)\n  | virsh: error");
    expect(libvirt.exitCode).toBe(EXIT.external);
    const disk = asUser(startFailure('web', new DiskError('the root disk overlay is missing: /x', 'run vm up'), LOG));
    expect(disk.message).toBe('the root disk overlay is missing: /x');
    expect(disk.options.hint).toBe('run vm up');
    const user = new UserError('busy');
    expect(startFailure('web', user, LOG)).toBe(user);
  });

  it('the CLI shows an engine error that reached it as Error:/Hint: lines and its exit code, not as a bug', async () => {
    const err = await thrown(new LibvirtEngine().snapshotRunning());
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    });
    const before = process.exitCode;
    try {
      reportError(err as Error);
      expect(process.exitCode).toBe(EXIT.unsupported);
    } finally {
      spy.mockRestore();
      process.exitCode = before;
    }
    expect(written.join('')).toContain('the libvirt engine keeps disks as storage-pool volumes, which vm snapshots do not cover yet');
    expect(written.join('')).not.toContain('Internal error');
  });
});
