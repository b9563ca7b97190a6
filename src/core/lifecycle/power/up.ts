// `vm up` for one machine, under its lock, as named steps (box, disks, boot, network, provision) a
// front end can show as a task list. Idempotent: a running machine is left alone (its first
// provisioning is finished if an earlier `up` was cut short); an aborted one boots again with its disks.
import type { Engine, RuntimePaths, WarmImageRef } from '../../../engines/engine.js';
import type { ForwardConfig, MachineConfig } from '../../../model/machine-config.js';
import { UserError } from '../../errors.js';
import { lockMachine } from '../../machines/machine-lock.js';
import { inspectMachine, type MachineState, type MachineView } from '../../machines/state.js';
import { changeNote, configChange } from '../../machines/config-change.js';
import { storeWarmDir, type StoreLocation } from '../../paths.js';
import { becomeThisMachine } from '../../machines/warm-start.js';
import { agentAnswers } from '../guest/agent.js';
import { consoleState } from '../console/log.js';
import { engineFor } from '../engine/engine-for.js';
import { engineUserError, startFailure } from '../../engine-errors.js';
import { engineIdentity, sweepStaleEngine } from '../engine/process.js';
import { resolveForwards } from '../forwards/check.js';
import { newState, recordedPaths, runningState, saveState, stoppedState } from '../machine-record.js';
import { isProvisioned, markProvisioned, provisionersFor, runProvisioners } from '../provision.js';
import { prepareRuntimeDir, runtimePathsFor } from '../engine/runtime-dir.js';
import { ensureAutoForwarder } from '../forwards/auto-forward.js';
import { describeProbe, guestReadyProbe, waitForService, waitReady } from '../ready.js';
import { killPoint } from '../test-hooks.js';
import { ensureMachineKey, pinHostKey, planSshForward, setUpSsh, SSH_GUEST_PORT, sshRecordFor } from '../ssh-access.js';
import { stepGuestClock } from '../../machines/suspend.js';
import { suspendStatePath } from '../../machines/suspend-file.js';
import { ensureTunnel, stopTunnel, tunnelServing } from '../../machines/forward-tunnel.js';
import { finishPendingRestore } from '../../machines/restore-journal.js';
import { startMuxWithEngine } from '../../agent/mux-connect.js';

export interface UpOptions {
  /** true: --provision (run once+always again); false: --no-provision; undefined: the default rules. */
  provision?: boolean;
  /** What the user typed, for the lock's owner record. */
  command?: string;
  vmfile?: string;
  loc?: StoreLocation;
}

export interface StepIO {
  /** Replaces the step's title with a more precise one ("Booted in 2.1 s"). */
  title(text: string): void;
  /** Streamed output (provisioners). */
  output(text: string): void;
}

export type StepId = 'box' | 'disks' | 'boot' | 'network' | 'provision' | 'ready';

export interface UpStep {
  id: StepId;
  title: string;
  run(io: StepIO): Promise<void>;
}

export interface UpResult {
  name: string;
  /** 'warm-started': a new machine resumed from its shape's warm image (`warm_start:`) instead of booting. */
  outcome: 'booted' | 'already running' | 'recovered' | 'resumed' | 'warm-started';
  /** Things to tell the user after the task list. */
  notes: string[];
  provisioned: string[];
  /** `warm_start:` on a new machine: it resumed from its shape's warm image, or booted cold and saved one. */
  warm?: 'resumed' | 'saved';
}

/** The state with the SSH forward the engine was started with (none: no SSH access this boot). */
function withSsh(state: MachineState, forward: ForwardConfig | undefined): MachineState {
  const { ssh: _old, ...rest } = state;
  return forward ? { ...rest, ssh: sshRecordFor(forward) } : rest;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/** How long a mux started with a resuming engine waits for its agent socket (the engines put it up within seconds). */
const ENGINE_START_WAIT_MS = 15_000;

export interface UpSession {
  name: string;
  /** The steps, in order; run each once. */
  steps: UpStep[];
  /** Filled in as the steps run. */
  result: UpResult;
  /** Releases the machine's lock (idempotent); call it however the steps ended. */
  close(): Promise<void>;
}

/** Takes the machine's lock and plans its `up`; the caller runs the steps, then closes the session. */
export async function openUp(projectDir: string, config: MachineConfig, opts: UpOptions): Promise<UpSession> {
  const lock = await lockMachine(projectDir, config.name, opts.command ?? 'vm up');
  try {
    killPoint('after-lock');
    // A snapshot restore a crash interrupted is finished first: the machine is the snapshot's.
    await finishPendingRestore(projectDir, config);
    const view = await inspectMachine(projectDir, config.name, config.engine);
    const up = new MachineUp(projectDir, config, opts, view);
    let closed = false;
    return {
      name: config.name,
      steps: up.steps(),
      result: up.result,
      close: async () => {
        if (closed) return;
        closed = true;
        await lock.release();
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

class MachineUp {
  private state: MachineState | undefined;
  private paths: RuntimePaths;
  readonly result: UpResult;
  private readonly running: boolean;
  /** Suspended: the engine continues from the saved state instead of booting. */
  private readonly resuming: boolean;
  private readonly firstProvisionDone: Promise<boolean>;
  /** A new machine with `warm_start:`: the image it resumes from and its state file, or that it saves one once ready. */
  private warm: { resume: { image: WarmImageRef; stateFile: string } } | { save: true } | undefined;
  /** SSH was set up while the guest was made this machine (warm start): the network step has nothing to do for it. */
  private sshSetUp = false;

  constructor(
    private readonly projectDir: string,
    private readonly config: MachineConfig,
    private readonly opts: UpOptions,
    private readonly view: MachineView,
  ) {
    if (view.status === 'broken') {
      throw new UserError(`machine '${config.name}' is broken: ${view.detail}`, { hint: `\`vm destroy --force ${config.name}\` removes it` });
    }
    this.state = view.state;
    this.running = view.status === 'running';
    this.resuming = view.status === 'suspended';
    const computed = runtimePathsFor(config.project.stateDir);
    this.paths = this.state && this.running ? recordedPaths(this.state, computed) : computed;
    this.result = {
      name: config.name,
      outcome: this.running ? 'already running' : this.resuming ? 'resumed' : view.status === 'aborted' ? 'recovered' : 'booted',
      notes: [],
      provisioned: [],
    };
    this.firstProvisionDone = isProvisioned(config.project.stateDir);
  }

  steps(): UpStep[] {
    const c = this.config;
    return [
      { id: 'box', title: `Box ${c.box.name} ${c.box.version}`, run: (io) => this.box(io) },
      { id: 'disks', title: 'Disks', run: (io) => this.disks(io) },
      { id: 'boot', title: this.running ? 'Running' : this.resuming ? `Resume (${c.engine} engine)` : `Boot (${c.engine} engine)`, run: (io) => this.boot(io) },
      { id: 'network', title: 'Network', run: (io) => this.network(io) },
      { id: 'provision', title: 'Provision', run: (io) => this.provision(io) },
      ...(c.ready ? [{ id: 'ready' as const, title: `Ready: ${describeProbe(c.ready)}`, run: (io: StepIO) => this.ready(io) }] : []),
    ];
  }

  /** The `ready:` probe, after provisioning (which usually starts the service it waits for). */
  private async ready(io: StepIO): Promise<void> {
    const probe = this.config.ready!;
    io.title(`Waiting until ready: ${describeProbe(probe)}`);
    const ms = await waitForService(this.config, this.paths, probe);
    io.title(`Ready: ${describeProbe(probe)} (${seconds(ms)})`);
  }

  private async box(io: StepIO): Promise<void> {
    const c = this.config;
    const s = this.state;
    // A running machine keeps running as it is (the boot step says what applying the Vmfile takes).
    const change = s ? configChange(s, c) : undefined;
    if (change?.kind === 'recreate' && !this.running) throw new UserError(change.why, { hint: change.hint });
    await engineFor(c, { checkAvailability: !this.running, loc: this.opts.loc });
    io.title(`Box ${c.box.name} ${c.box.version}${this.running ? '' : ` (${c.arch}, ${c.engine} engine)`}`);
  }

  private async disks(io: StepIO): Promise<void> {
    const c = this.config;
    if (!this.state) {
      this.state = newState(c, 'created');
      await this.save();
      killPoint('after-created');
    }
    if (!this.running) {
      const engine = await engineFor(c, { loc: this.opts.loc });
      if (c.warmStart && this.state.state === 'created' && !this.resuming) await this.planWarm(engine);
      await engine.prepare(c).catch((err: unknown) => {
        throw engineUserError(err);
      });
      killPoint('after-prepare');
    }
    const extra = c.disks.map((d) => d.name);
    io.title(`Disks: ${c.box.rootDisk ? 'root overlay' : 'no root disk'}${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`);
  }

  /**
   * A machine that never booted, with `warm_start:`: its disks are made on its shape's warm image
   * when there is a usable one (it then resumes from it), else it boots cold and saves one once
   * ready. Whatever stands in the way is said in the notes and means a cold boot, never a failure.
   */
  private async planWarm(engine: Engine): Promise<void> {
    const c = this.config;
    const cold = (why: string): void => {
      this.result.notes.push(`machine '${c.name}' booted cold, not from a warm image: ${why}`);
    };
    if (!engine.warm) return cold(`the ${c.engine} engine has no warm start`);
    const refusal = engine.warm.refusal(c);
    if (refusal) return cold(refusal);
    const found = await engine.warm.find(c, storeWarmDir(this.opts.loc));
    if (found.note) cold(found.note);
    if (!found.image) {
      this.warm = { save: true };
      return;
    }
    try {
      this.warm = { resume: { image: found.image, stateFile: await engine.warm.prepare(c, found.image) } };
    } catch (err) {
      cold(`its disks could not be made on the image: ${(err as Error).message}`);
    }
  }

  private async boot(io: StepIO): Promise<void> {
    const c = this.config;
    const started = Date.now();
    if (this.running) {
      const note = changeNote(configChange(this.state!, c), c.name);
      if (note) this.result.notes.push(note);
    } else {
      if (this.view.status === 'aborted') this.result.notes.push(`machine '${c.name}' had stopped unexpectedly (${this.view.detail}); booted it again with its disks`);
      const computed = runtimePathsFor(c.project.stateDir);
      if (await sweepStaleEngine(c.name, computed)) this.result.notes.push(`stopped an engine of '${c.name}' left by an interrupted command`);
      // a forward tunnel its killed engine left behind would hold the host ports
      if (stopTunnel(c.project.stateDir)) this.result.notes.push(`stopped a port forward tunnel of '${c.name}' left by its engine`);
      const ssh = planSshForward(c, this.state);
      const ports = await resolveForwards(c.name, ssh?.add ? [...c.forwards, ssh.add] : c.forwards);
      const own = ports.forwards.slice(0, c.forwards.length);
      const moved = own.some((f, i) => f.host !== c.forwards[i]!.host) ? own : undefined;
      const sshForward = ssh?.add ? ports.forwards[c.forwards.length] : ssh?.vmfileIndex !== undefined ? own[ssh.vmfileIndex] : undefined;
      if (ssh?.add && ssh.add.host !== 0 && sshForward!.host !== ssh.add.host) {
        // vm's own forward, not the Vmfile's: its own note instead of auto_correct's
        ports.notes.pop();
        this.result.notes.push(`machine '${c.name}': its SSH port ${ssh.add.host} was in use, so ssh now reaches it on ${sshForward!.hostIp}:${sshForward!.host} (run \`vm ssh-config\` again)`);
      }
      this.result.notes.push(...ports.notes);
      const engineForwards = ssh?.add ? ports.forwards : moved;
      this.paths = await prepareRuntimeDir(c.project.stateDir);
      const engine = (await engineFor(c, { loc: this.opts.loc })) as Engine;
      const before = this.state!;
      // The pid is recorded the moment the process exists, not once its sockets answer: a CLI
      // killed in between must leave a state file that names the running engine.
      let recorded: Promise<void> | undefined;
      const resumeFrom = this.resuming ? suspendStatePath(this.projectDir, c.name) : this.warm && 'resume' in this.warm ? this.warm.resume.stateFile : undefined;
      const spawned = (pid: number): void => {
        killPoint('after-spawn');
        // A resumed guest's agent answers as soon as the engine runs: its mux starts alongside.
        if (resumeFrom) startMuxWithEngine(this.paths.agentSocket, this.paths.engineLog, ENGINE_START_WAIT_MS);
        this.state = withSsh(runningState(c, before, pid, this.paths, moved), sshForward);
        recorded = this.save();
      };
      let proc;
      try {
        proc = await engine.start(engineForwards ? { ...c, forwards: engineForwards } : c, this.paths, {
          spawned,
          ...(resumeFrom ? { resumeFrom } : {}),
        });
      } catch (err) {
        await recorded?.catch(() => undefined);
        // The engine is gone: record the machine as stopped rather than leave a dead pid behind.
        if (recorded) await this.saveQuietly(stoppedState(this.state!));
        throw startFailure(c.name, err, this.paths.engineLog);
      }
      await recorded;
      if (!recorded || this.state!.pid !== proc.pid) {
        // An engine without the spawn hook: record it now.
        this.state = withSsh(runningState(c, before, proc.pid, this.paths, moved), sshForward);
      }
      this.state = { ...this.state!, accel: proc.accel };
      await this.save();
      killPoint('after-running');
    }
    const who = engineIdentity(this.state!)!;
    io.title(this.running ? `Running (pid ${who.pid}); waiting for the guest` : this.resuming ? `Resuming (pid ${who.pid})` : `Booting (pid ${who.pid})`);
    await waitReady({ name: c.name, paths: this.paths, engine: who, timeoutMs: c.bootTimeoutMs, probe: guestReadyProbe(this.paths) });
    killPoint('after-ready');
    const warm = this.warm && 'resume' in this.warm ? this.warm.resume : undefined;
    if (warm) {
      // The machine's ssh key is authorized in the same guest command (the network step then has nothing to do for ssh).
      const ssh = this.state?.ssh && c.box.ssh;
      const authorize = ssh ? await ensureMachineKey(c) : undefined;
      const became = await becomeThisMachine(c, this.paths, warm.image.from, { authorize });
      if (became.note) this.result.notes.push(became.note);
      if (ssh && became.hostKey) {
        await pinHostKey(c, became.hostKey);
        this.sshSetUp = true;
      }
      this.result.warm = 'resumed';
      this.result.outcome = 'warm-started';
    }
    if (this.resuming) {
      const note = await stepGuestClock(c, this.paths);
      if (note) this.result.notes.push(note);
    }
    if (this.warm && 'save' in this.warm) {
      // Right after the agent answered: the guest has done nothing of this machine's own yet
      // (no provisioning, no ssh key installed), so what is saved is the box booted, as any new
      // machine of the shape would be.
      try {
        if (!(await agentAnswers(this.paths, 10_000))) throw new Error('its agent did not answer');
        const dir = await (await engineFor(c, { loc: this.opts.loc })).warm!.save(c, this.paths, storeWarmDir(this.opts.loc));
        this.result.warm = 'saved';
        this.result.notes.push(`machine '${c.name}': saved a warm image of its shape (${dir}); new machines like it will resume from it`);
      } catch (err) {
        this.result.notes.push(`machine '${c.name}': no warm image was saved: ${(err as Error).message}`);
      }
    }
    io.title(
      this.running ? `Already running (pid ${who.pid})`
      : warm ? `Resumed from a warm image in ${seconds(Date.now() - started)} (pid ${who.pid})`
      : this.resuming ? `Resumed in ${seconds(Date.now() - started)} (pid ${who.pid})`
      : `Booted in ${seconds(Date.now() - started)} (pid ${who.pid})`,
    );
  }

  private async network(io: StepIO): Promise<void> {
    const c = this.config;
    // The addresses the box reported on the console (engines/guest-console.ts); the engines learn
    // none of them (DHCP runs in the guest, static ones come from vm.net on its command line).
    const { addresses } = await consoleState(this.paths.consoleLog);
    const parts = [...addresses].map(([dev, a]) => `${dev} ${a}`);
    const tunnel = await ensureTunnel(c.project.stateDir, this.state?.pid);
    for (const f of this.state?.forwards ?? c.forwards) {
      const via = tunnelServing(tunnel, f);
      parts.push(`${f.hostIp}:${f.host} -> ${f.guest}/${f.protocol}${via ? ` (${via})` : ''}`);
    }
    if (c.autoForwards) {
      // guest ports with a forward of their own, vm's SSH forward included
      const own = c.forwards.filter((f) => f.protocol === 'tcp').map((f) => f.guest);
      ensureAutoForwarder(this.paths, this.state?.ssh ? [...own, SSH_GUEST_PORT] : own);
      parts.push('guest ports forwarded as they listen');
    }
    const ssh = this.state?.ssh;
    if (ssh && c.box.ssh) {
      try {
        if (!this.sshSetUp) await setUpSsh(c, this.paths);
        parts.push(`ssh ${ssh.hostIp}:${ssh.port} (\`vm ssh-config\`)`);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        this.result.notes.push(`machine '${c.name}': ssh is not set up: ${err.message}`);
      }
    }
    io.title(parts.length > 0 ? `Network: ${parts.join(', ')}` : 'Network: none');
  }

  private async provision(io: StepIO): Promise<void> {
    const c = this.config;
    const firstDone = await this.firstProvisionDone;
    let mode: 'first' | 'boot' | 'none' | 'forced';
    if (this.opts.provision === false) mode = 'none';
    else if (this.opts.provision === true) mode = 'forced';
    else if (!firstDone) mode = 'first';
    else mode = this.running || this.resuming ? 'none' : 'boot';
    const list = provisionersFor(c.provision, mode);
    if (list.length === 0) {
      io.title(mode === 'none' && c.provision.length > 0 ? 'Provision: skipped' : 'Provision: nothing to run');
      if (mode === 'first' && this.opts.provision !== false) await markProvisioned(c.project.stateDir);
      return;
    }
    if (mode === 'first' && this.running) this.result.notes.push(`machine '${c.name}' was running but its first provisioning had not finished; ran it now`);
    this.result.provisioned = await runProvisioners(c, this.paths, list, {
      start: (p) => io.title(`Provision: ${p.name}`),
      output: (_stream, chunk) => io.output(chunk.toString('utf8')),
    });
    if (mode === 'first' || mode === 'forced') await markProvisioned(c.project.stateDir);
    io.title(`Provision: ${list.map((p) => p.name).join(', ')}`);
  }

  private async saveQuietly(state: MachineState): Promise<void> {
    this.state = state;
    await this.save().catch(() => undefined);
  }

  private async save(): Promise<void> {
    const { indexWarning } = await saveState(this.projectDir, this.state!, { vmfile: this.opts.vmfile ?? this.config.project.vmfile, index: this.opts.loc });
    if (indexWarning) this.result.notes.push(indexWarning);
  }
}
