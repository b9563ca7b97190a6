// `vm ssh` without a command: the user's terminal bridged to the machine's serial console socket.
// The caller puts the terminal in raw mode; this moves bytes, handles `~.` and reports how it ended.
// Escapes on typed console input, in one of two styles. `ssh` (vm ssh): `~` right after Enter (or
// first thing) starts one; `~.` detaches, `~~` sends one `~`, `~?` lists the escapes; any other key
// sends `~` and itself. `ctrl-a` (vm debug boot, as QEMU's -serial mon:stdio): Ctrl-A anywhere
// starts one; Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A H lists the escapes; any other
// key after Ctrl-A is dropped.
import net from 'node:net';
import { constants as C } from 'node:fs';
import { open } from 'node:fs/promises';

export const ESCAPE_HELP = 'Supported escapes:\r\n  ~.  detach (the machine keeps running)\r\n  ~?  this help\r\n  ~~  send ~\r\n(Escapes are only recognized right after Enter.)\r\n';
export const CTRL_A_ESCAPE_HELP = 'Supported escapes:\r\n  Ctrl-A X       quit (the machine stops)\r\n  Ctrl-A H       this help\r\n  Ctrl-A Ctrl-A  send Ctrl-A\r\n';

export type EscapeStyle = 'ssh' | 'ctrl-a';

/** `detach`: the user leaves (`~.`: vm ssh detaches; Ctrl-A X: vm debug boot quits). */
export type EscapeAction = { kind: 'send'; bytes: Uint8Array } | { kind: 'detach' } | { kind: 'help' };

const TILDE = 0x7e;
const DOT = 0x2e;
const QUESTION = 0x3f;
const CR = 0x0d;
const LF = 0x0a;
const CTRL_A = 0x01;

export class EscapeParser {
  private atLineStart = true;
  private pending = false;

  constructor(private readonly style: EscapeStyle = 'ssh') {}

  /** Splits typed bytes into what goes to the guest and the escapes found, in order. */
  feed(input: Uint8Array): EscapeAction[] {
    const out: EscapeAction[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length > 0) out.push({ kind: 'send', bytes: Uint8Array.from(run) });
      run = [];
    };
    for (const b of input) {
      if (this.pending) {
        this.pending = false;
        const action = this.style === 'ssh' ? this.afterTilde(b, run) : this.afterCtrlA(b, run);
        if (action === 'taken') continue;
        if (action !== 'none') {
          flush();
          out.push({ kind: action });
          if (action === 'detach') return out;
          continue;
        }
      } else if (this.style === 'ssh' ? b === TILDE && this.atLineStart : b === CTRL_A) {
        this.pending = true;
        continue;
      }
      run.push(b);
      this.atLineStart = b === CR || b === LF;
    }
    flush();
    return out;
  }

  /** The key after `~`: an escape, `taken` (into `run`), or `none` (`~` sent, the key goes on as typed). */
  private afterTilde(b: number, run: number[]): 'detach' | 'help' | 'taken' | 'none' {
    if (b === DOT) return 'detach';
    if (b === QUESTION) {
      this.atLineStart = true;
      return 'help';
    }
    run.push(TILDE);
    if (b !== TILDE) return 'none';
    this.atLineStart = false;
    return 'taken';
  }

  /** The key after Ctrl-A: an escape, or `taken` (Ctrl-A into `run`; any other key dropped). */
  private afterCtrlA(b: number, run: number[]): 'detach' | 'help' | 'taken' {
    if (b === 0x78 || b === 0x58) return 'detach'; // x, X
    if (b === 0x68 || b === 0x48 || b === QUESTION) return 'help'; // h, H, ?
    if (b === CTRL_A) run.push(CTRL_A);
    return 'taken';
  }
}

export interface AttachOptions {
  consoleSocket: string;
  consoleLog?: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Notes from vm itself (connected, detached), kept apart from guest output. */
  notes: NodeJS.WritableStream;
  /** Recognize `~.` escapes (only when a person types: a terminal). */
  escapes: boolean;
  /** When the input ends (piped), detach once the guest has been quiet this long. */
  quietMs?: number;
}

export type AttachEnd = 'detached' | 'machine stopped' | 'input ended';

/** The console's current last line (usually the shell prompt), so the user sees where they are. */
async function lastConsoleLine(path: string): Promise<string> {
  try {
    const fh = await open(path, C.O_RDONLY | C.O_NOFOLLOW);
    try {
      const { size } = await fh.stat();
      const n = Math.min(size, 512);
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, size - n);
      const text = buf.toString('utf8');
      const nl = text.lastIndexOf('\n');
      return nl >= 0 ? text.slice(nl + 1) : '';
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

export async function attachConsole(o: AttachOptions): Promise<AttachEnd> {
  const socket = net.connect(o.consoleSocket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (o.consoleLog) {
    const line = await lastConsoleLine(o.consoleLog);
    if (line) o.output.write(line);
  }
  const parser = new EscapeParser();
  return new Promise<AttachEnd>((resolve) => {
    let done = false;
    let quietTimer: NodeJS.Timeout | undefined;
    let inputEnded = false;
    const finish = (how: AttachEnd): void => {
      if (done) return;
      done = true;
      clearTimeout(quietTimer);
      o.input.off('data', onInput);
      o.input.off('end', onInputEnd);
      socket.destroy();
      resolve(how);
    };
    const armQuiet = (): void => {
      clearTimeout(quietTimer);
      quietTimer = setTimeout(() => finish('input ended'), o.quietMs ?? 500);
    };
    const onInput = (data: Buffer | string): void => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      if (!o.escapes) {
        socket.write(bytes);
        return;
      }
      for (const a of parser.feed(bytes)) {
        if (a.kind === 'send') socket.write(a.bytes);
        else if (a.kind === 'help') o.notes.write(`\r\n${ESCAPE_HELP}`);
        else {
          finish('detached');
          return;
        }
      }
    };
    const onInputEnd = (): void => {
      inputEnded = true;
      armQuiet();
    };
    socket.on('data', (d: Buffer) => {
      o.output.write(d);
      if (inputEnded) armQuiet();
    });
    socket.on('close', () => finish('machine stopped'));
    socket.on('error', () => finish('machine stopped'));
    o.input.on('data', onInput);
    o.input.on('end', onInputEnd);
    o.input.resume();
  });
}
