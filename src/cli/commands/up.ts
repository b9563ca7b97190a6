// `vm up`: create and boot the project's machines, as a task list per machine (box, disks, boot,
// network, provision); returns when every guest is ready and provisioned.
import { Args, Flags } from '@oclif/core';
import { fileFlag } from '../flags.js';
import type { ListrTask } from 'listr2';
import type { Selection } from '../../core/lifecycle/select.js';
import type { UpResult, UpSession, UpStep } from '../../core/lifecycle/power/up.js';
import { BaseCommand } from '../base-command.js';
import { paint } from '../ui/color.js';

export interface UpTaskOptions {
  provision?: boolean;
  /** Boot independent machines together; default: when the Vmfile has depends_on. */
  parallel?: boolean;
  /** Also bring up the machines the selected ones depend on (`vm up`; not reload). */
  withDependencies?: boolean;
  command: string;
}

/**
 * Runs `up` for the selected machines as a listr2 task list (a machine per task, its steps as
 * subtasks), prints what the user should know afterwards, and throws the first failure (after
 * printing the others), so its exit code and hint reach the user.
 */
export async function runUpTaskList(selection: Selection, o: UpTaskOptions): Promise<UpResult[]> {
  const { Listr } = await import('listr2');
  const { openUp } = await import('../../core/lifecycle/power/up.js');
  const { upOrder } = await import('../../core/lifecycle/power/up-order.js');
  const { UserError } = await import('../../core/errors.js');
  const order = upOrder(selection.machines, selection.all, { withDependencies: o.withDependencies === true });
  const sel: Selection = { ...selection, machines: order.machines };
  if (order.added.length > 0) {
    process.stderr.write(`Also bringing up ${order.added.map((n) => `'${n}'`).join(', ')}: ${order.added.length === 1 ? 'it is' : 'they are'} in depends_on\n`);
  }
  // Settles when a machine is up (and its ready probe passed): what its dependents wait for.
  const upDone = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void }>();
  for (const m of order.machines) {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    upDone.set(m.name, { promise, resolve, reject });
  }
  /** Machines not started because a machine they depend on failed. */
  const blocked = new Set<string>();
  const several = sel.machines.length > 1;
  const sessions: UpSession[] = [];
  const results: UpResult[] = [];
  const failures: { name: string; error: Error }[] = [];
  // A terminal that reports no width (`script` without a size) would wrap every character: plain lines then.
  const tty = process.stdout.isTTY === true && (process.stdout.columns ?? 0) > 0;
  // In a log (no terminal) lines of machines booted together interleave: each names its machine.
  const named = (name: string, text: string): string => (several && !tty ? `${name}: ${text}` : text);
  // Where each machine got to, for the report a Ctrl-C prints.
  const reached = new Map<string, { step?: UpStep; finished?: boolean }>();
  const tasks = sel.machines.map((config): ListrTask => ({
    title: config.name,
    task: async (_ctx, task) => {
      const done = upDone.get(config.name)!;
      let session: UpSession;
      try {
        const deps = order.waitsFor.get(config.name) ?? [];
        if (deps.length > 0) {
          task.title = `${config.name}: waiting for ${deps.join(', ')}`;
          for (const d of deps) {
            await upDone.get(d)!.promise.catch(() => {
              blocked.add(config.name);
              throw new UserError(`machine '${config.name}' was not started: machine '${d}', which it depends on, did not come up`);
            });
          }
          task.title = config.name;
        }
        session = await openUp(sel.dir, config, { provision: o.provision, command: o.command, vmfile: sel.vmfile });
      } catch (err) {
        failures.push({ name: config.name, error: err as Error });
        done.reject(err as Error);
        throw err;
      }
      sessions.push(session);
      results.push(session.result);
      reached.set(config.name, {});
      const steps = session.steps.map((step): ListrTask => ({
        title: named(config.name, step.title),
        task: async (_c, t) => {
          reached.set(config.name, { step });
          // Output arrives in chunks that may end mid-line: only whole lines are shown.
          let partial = '';
          const show = (line: string): void => {
            t.output = several ? `${config.name} | ${line}` : line;
          };
          try {
            await step.run({
              title: (text) => (t.title = named(config.name, text)),
              output: (text) => {
                const lines = (partial + text).split('\n');
                partial = lines.pop()!;
                for (const line of lines) show(line);
              },
            });
            if (partial) show(partial);
          } catch (err) {
            if (partial) show(partial);
            failures.push({ name: config.name, error: err as Error });
            done.reject(err as Error);
            throw err;
          }
        },
        rendererOptions: { persistentOutput: true, outputBar: Infinity },
      }));
      steps.push({
        title: '',
        task: async () => {
          task.title = `${config.name}: ${session.result.outcome}`;
          reached.set(config.name, { finished: true });
          await session.close();
          done.resolve();
        },
        rendererOptions: { persistentOutput: false, outputBar: 0 },
      });
      return task.newListr(steps, { exitOnError: true, concurrent: false });
    },
  }));
  const list = new Listr(tasks, {
    concurrent: o.parallel ?? order.hasDependencies,
    exitOnError: false,
    renderer: tty ? 'default' : 'simple',
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, showErrorMessage: true },
    registerSignalListeners: false,
  });
  const onInterrupt = (): void => {
    void reportInterrupted(sel, reached, results)
      .catch(() => undefined)
      .then(() => Promise.all(sessions.map((s) => s.close().catch(() => undefined))))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  try {
    await list.run();
  } finally {
    process.off('SIGINT', onInterrupt);
    for (const s of sessions) await s.close();
  }
  for (const r of results) for (const n of r.notes) process.stderr.write(`${paint.yellow('Note:')} ${n}\n`);
  if (failures.length > 0) {
    // The cause first: a machine's own failure before "not started" of the machines waiting on it.
    failures.sort((a, b) => Number(blocked.has(a.name)) - Number(blocked.has(b.name)));
    const [first, ...rest] = failures;
    for (const f of rest) process.stderr.write(`${paint.red('Error:')} ${f.name}: ${f.error.message}\n`);
    throw first!.error;
  }
  return results;
}

/** After Ctrl-C: what state each machine was left in, and what brings it on. */
async function reportInterrupted(sel: Selection, reached: Map<string, { step?: UpStep; finished?: boolean }>, results: UpResult[]): Promise<void> {
  const { inspectMachine } = await import('../../core/machines/state.js');
  const lines: string[] = [];
  for (const config of sel.machines) {
    const r = reached.get(config.name);
    if (!r) {
      lines.push(`${config.name}: not started`);
      continue;
    }
    if (r.finished) {
      lines.push(`${config.name}: ${results.find((x) => x.name === config.name)?.outcome ?? 'up'}`);
      continue;
    }
    const view = await inspectMachine(sel.dir, config.name, config.engine);
    const now = view.status === 'running' ? `running (pid ${view.pid})` : view.status;
    const during = r.step ? ` during "${r.step.title}"` : '';
    const next =
      view.status === 'running'
        ? r.step?.id === 'provision'
          ? `its provisioning did not finish: \`vm provision ${config.name}\` runs it again`
          : `the engine keeps running in the background: \`vm up ${config.name}\` finishes, \`vm halt ${config.name}\` stops it`
        : `\`vm up ${config.name}\` carries on`;
    lines.push(`${config.name}: interrupted${during}; it is ${now}; ${next}`);
  }
  const body = lines.length === 1 ? ` ${lines[0]}` : `\n${lines.map((l) => `  ${l}`).join('\n')}`;
  process.stderr.write(`\n${paint.yellow('Interrupted.')}${body}\n`);
}

export default class Up extends BaseCommand {
  static override summary = 'Create and boot machines, then provision them';
  static override description =
    'Boots each machine of the Vmfile (all by default, in the order written) as a background engine process that outlives this command, waits until the guest is ready (boot_timeout; on a timeout the last console lines are shown) and runs its provisioners: `run: once` ones on the first up only, `always` ones on every boot. A machine with `ready:` is then probed until its service answers. A machine with `depends_on` boots once the machines it names are up and ready (they are brought up too when not named); machines that do not depend on each other boot together (--no-parallel: one at a time). A machine that is already running is left as it is. A machine whose engine died (aborted) boots again with its disks.';
  static override examples = [
    { description: 'Every machine of the nearest Vmfile', command: '<%= config.bin %> up' },
    { description: 'Two machines, booted together', command: '<%= config.bin %> up web db --parallel' },
    { description: 'Run every provisioner again, running or not', command: '<%= config.bin %> up --provision' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }),
  };
  static override flags = {
    file: fileFlag,
    provision: Flags.boolean({ description: 'run provisioners (--no-provision: run none); default: once-provisioners on the first up, always-provisioners on every boot', allowNo: true }),
    parallel: Flags.boolean({ description: 'boot machines that do not depend on each other at the same time (default: only when the Vmfile has depends_on)', allowNo: true }),
    'update-lock': Flags.boolean({ description: 'resolve the boxes again instead of using the versions in Vmfile.lock, and record them there' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Up);
    const { selectMachines } = await import('../../core/lifecycle/select.js');
    const { progressBar } = await import('../ui/progress-bar.js');
    const onDownload = (box: string, url: string): { progress: (p: { received: number; total?: number }) => void; done: () => void } => {
      process.stderr.write(`Box '${box}' is not installed: downloading ${url}\n`);
      const bar = progressBar('Downloading');
      return { progress: (p) => bar.update(p.received, p.total), done: () => bar.stop() };
    };
    const sel = await selectMachines({ file: flags.file, names: argv as string[], cwd: process.cwd(), onDownload, lock: flags['update-lock'] ? 'update' : 'use' });
    if (sel.warnings) process.stderr.write(`${paint.yellow(sel.warnings)}\n`);
    for (const c of sel.lockChanges) process.stderr.write(`${paint.dim(`Vmfile.lock: ${c}`)}\n`);
    await runUpTaskList(sel, { provision: flags.provision, parallel: flags.parallel, withDependencies: true, command: `vm up${argv.length > 0 ? ` ${argv.join(' ')}` : ''}` });
  }
}
