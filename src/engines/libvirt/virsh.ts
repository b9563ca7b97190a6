// virsh, run through execa: libvirt's own command-line client speaks every transport libvirt has
// (local socket, ssh, tls) with the user's own ssh config and keys, and needs nothing compiled into
// node_modules; the maintained Node bindings (node-libvirt) need libvirt's headers and a native build
// on every install, which would end "needs nothing but npm install". virsh's errors are plain text on
// stderr; `classifyVirshFailure` turns the connection failures users hit into an action to take.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { LibvirtError } from './errors.js';

export const VIRSH = 'virsh';
/** Debian packages: the client here, the daemon (with qemu) on the hypervisor host. */
export const INSTALL_HINT = 'install libvirt: apt-get install libvirt-clients (this host) and libvirt-daemon-system qemu-system-misc (the hypervisor host; qemu-system-x86 for x86_64 boxes)';
/** How long one virsh call may take (vol-upload of a box image is the longest). */
const DEFAULT_TIMEOUT_MS = 300_000;

export interface VirshResult {
  stdout: string;
  stderr: string;
}

export interface VirshOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** The first `error:` lines of virsh's stderr, joined (virsh repeats itself in a second line). */
function errorText(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('error:'))
    .map((l) => l.slice('error:'.length).trim());
  return lines.length > 0 ? lines.join(': ') : stderr.trim();
}

/**
 * A connection failure as the user should see it, or undefined when virsh reached libvirt and the
 * command itself failed (the caller knows what that means).
 */
export function classifyVirshFailure(uri: string, stderr: string): LibvirtError | undefined {
  if (!/failed to connect to the hypervisor/i.test(stderr)) return undefined;
  const why = errorText(stderr);
  // polkit decides for non-root users where the socket is open to all (Debian's default); without
  // polkit (no system bus) or with its refusal, the user lacks the right to manage libvirt
  if (/Permission denied|authentication (failed|unavailable)|polkit|Unable to get system bus connection/i.test(stderr)) {
    return new LibvirtError(`permission denied on libvirt's socket for ${uri}: ${why}`, 'run vm as a member of the `libvirt` group (adduser $USER libvirt, then log in again), or use qemu:///session');
  }
  if (/Failed to connect socket to '[^']*': (No such file or directory|Connection refused)/i.test(stderr)) {
    return new LibvirtError(
      `the libvirt daemon is not running for ${uri}: ${why}`,
      'start it: systemctl start libvirtd (or virtqemud); without systemd: virtlogd -d && libvirtd -d',
    );
  }
  if (/ssh|Cannot recv data|No route to host|Name or service not known|Could not resolve|Connection refused|timed out/i.test(stderr)) {
    return new LibvirtError(`cannot reach the libvirt host ${uri}: ${why}`, 'check the URI, that the host runs libvirtd, and that `ssh` to it works without a password prompt (a key in ssh-agent or ?keyfile=)');
  }
  return new LibvirtError(`cannot connect to libvirt at ${uri}: ${why}`);
}

/** A virsh command that ran and failed: its message, without the connection classification. */
export class VirshCommandError extends LibvirtError {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`virsh ${args[0] ?? ''} failed: ${errorText(stderr) || 'no message'}`);
    this.name = 'VirshCommandError';
  }
}

/** What runs virsh commands: one process per command, or one session for many. */
export interface VirshRunner {
  readonly uri: string;
  run(args: string[], o?: VirshOptions): Promise<VirshResult>;
  tryRun(args: string[], o?: VirshOptions): Promise<VirshResult | undefined>;
}

export class Virsh implements VirshRunner {
  constructor(
    readonly uri: string,
    private readonly program = VIRSH,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The argv of a command, for logs and the qemu-style `argv` of a started machine. */
  argv(args: string[]): string[] {
    return [this.program, '-q', '-c', this.uri, ...args];
  }

  /** Runs `virsh -c URI ARGS`; throws LibvirtError (connection problems, a missing virsh) or VirshCommandError. */
  async run(args: string[], o: VirshOptions = {}): Promise<VirshResult> {
    const [program, ...rest] = this.argv(args);
    const r = await execa(program!, rest, {
      reject: false,
      // messages in English, so the classification above can read them
      env: { ...this.env, ...o.env, LC_ALL: 'C' },
      extendEnv: false,
      timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(o.input !== undefined ? { input: o.input } : { stdin: 'ignore' }),
    });
    if (r.failed && r.exitCode === undefined) {
      if (r.code === 'ENOENT') throw new LibvirtError(`${this.program} is not installed (needed for engine: libvirt)`, INSTALL_HINT);
      if (r.timedOut) throw new LibvirtError(`virsh ${args[0]} did not finish within ${Math.round((o.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s (libvirt at ${this.uri})`);
      throw new LibvirtError(`cannot run ${this.program}: ${r.message}`, INSTALL_HINT);
    }
    const stdout = String(r.stdout ?? '');
    const stderr = String(r.stderr ?? '');
    if (r.exitCode !== 0) throw classifyVirshFailure(this.uri, stderr) ?? new VirshCommandError(args, stderr);
    return { stdout, stderr };
  }

  /** Like run, but a command failure (not a connection failure) resolves to undefined. */
  tryRun(args: string[], o: VirshOptions = {}): Promise<VirshResult | undefined> {
    return tryRun(this, args, o);
  }

  /**
   * One virsh connection for a series of commands (close it after): on a remote host every virsh
   * process pays an ssh handshake and a libvirt connection, a session pays them once.
   */
  session(): VirshSession {
    return new VirshSession(this.uri, this.program, this.env);
  }
}

async function tryRun(r: VirshRunner, args: string[], o: VirshOptions): Promise<VirshResult | undefined> {
  try {
    return await r.run(args, o);
  } catch (err) {
    if (err instanceof VirshCommandError) return undefined;
    throw err;
  }
}

/** An argument as virsh's own command parser reads it (tools/vsh.c: double quotes, backslash escapes). */
export function virshQuote(arg: string): string {
  if (/[\0\n\r]/.test(arg)) throw new LibvirtError(`a virsh argument cannot hold NUL or newline characters: ${JSON.stringify(arg)}`);
  return /^[A-Za-z0-9_./:=+,@-]+$/.test(arg) ? arg : `"${arg.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Where `echo`'s output of `mark` starts: at a line start (virsh also echoes the command line `virsh # echo MARK`). */
function markAt(text: string, mark: string): number {
  if (text.startsWith(mark)) return 0;
  const at = text.indexOf(`\n${mark}`);
  return at < 0 ? -1 : at + 1;
}

/**
 * virsh in its interactive mode, fed commands on stdin. After each command the session asks for
 * `echo MARK` and `echo --err MARK`: what stdout holds before the first is the command's output
 * (without virsh's `virsh # command` prompt lines), what stderr holds before the second its errors.
 */
export class VirshSession implements VirshRunner {
  private child?: ChildProcess;
  private out = '';
  private err = '';
  private queue: Promise<unknown> = Promise.resolve();
  private exited = '';
  private readonly waiters = new Set<() => void>();
  private exitHandler?: (how: string) => void;

  constructor(
    readonly uri: string,
    private readonly program: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(this.program, ['-q', '-c', this.uri], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...this.env, LC_ALL: 'C' } });
    this.child = child;
    const wake = (): void => {
      for (const w of this.waiters) w();
    };
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8').on('data', (t: string) => ((this.out += t), wake()));
    child.stderr.setEncoding('utf8').on('data', (t: string) => ((this.err += t), wake()));
    child.once('error', (e: NodeJS.ErrnoException) => ((this.exited = e.code === 'ENOENT' ? 'ENOENT' : e.message), wake()));
    child.once('exit', (code) => {
      this.exited ||= `exit ${code}`;
      wake();
      this.exitHandler?.(this.exited);
    });
    return child;
  }

  /** Called once when the session's virsh ends (its connection to libvirt is closed then). */
  onExit(handler: (how: string) => void): void {
    this.exitHandler = handler;
  }

  run(args: string[], o: VirshOptions = {}): Promise<VirshResult> {
    const next = this.queue.then(() => this.exec(args, o));
    this.queue = next.catch(() => undefined);
    return next;
  }

  tryRun(args: string[], o: VirshOptions = {}): Promise<VirshResult | undefined> {
    return tryRun(this, args, o);
  }

  private async exec(args: string[], o: VirshOptions): Promise<VirshResult> {
    const child = this.start();
    const mark = `vm-virsh-done-${randomBytes(6).toString('hex')}`;
    const line = args.map(virshQuote).join(' ');
    child.stdin!.write(`${line}\necho ${mark}\necho --err ${mark}\n`);
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (markAt(this.out, mark) >= 0 && this.err.includes(`error: ${mark}`)) return done(resolve);
        if (this.exited) {
          done(() => {
            if (this.exited === 'ENOENT') reject(new LibvirtError(`${this.program} is not installed (needed for engine: libvirt)`, INSTALL_HINT));
            else reject(classifyVirshFailure(this.uri, this.err) ?? new LibvirtError(`virsh ended (${this.exited}): ${errorText(this.err)}`));
          });
        }
      };
      const timer = setTimeout(() => done(() => reject(new LibvirtError(`virsh ${args[0]} did not finish within ${Math.round(timeoutMs / 1000)} s (libvirt at ${this.uri})`))), timeoutMs);
      const done = (then: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
      check();
    });
    const outAt = markAt(this.out, mark);
    const stdout = this.out
      .slice(0, outAt)
      .split('\n')
      .filter((l) => !l.startsWith('virsh # '))
      .join('\n');
    this.out = this.out.slice(outAt + mark.length);
    const errMark = `error: ${mark}`;
    const errAt = this.err.indexOf(errMark);
    const stderr = this.err.slice(0, errAt);
    this.err = this.err.slice(errAt + errMark.length).replace(/^\n/, '');
    if (/^error:/m.test(stderr)) throw classifyVirshFailure(this.uri, stderr) ?? new VirshCommandError(args, stderr);
    return { stdout, stderr };
  }

  /** Ends the session (virsh exits at the end of its input). */
  close(): void {
    this.child?.stdin?.end();
  }
}
