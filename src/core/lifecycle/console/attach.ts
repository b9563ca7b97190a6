// `vm ssh` without a command: the user's terminal bridged to the machine's serial console socket.
// The caller puts the terminal in raw mode; this moves bytes, handles `~.` and reports how it ended.
// ssh-style escapes on typed console input: `~` right after Enter (or first thing) starts one.
// `~.` detaches, `~~` sends one `~`, `~?` lists the escapes; any other key sends `~` and itself.
import net from 'node:net';
import { constants as C } from 'node:fs';
import { open } from 'node:fs/promises';

export const ESCAPE_HELP = 'Supported escapes:\r\n  ~.  detach (the machine keeps running)\r\n  ~?  this help\r\n  ~~  send ~\r\n(Escapes are only recognized right after Enter.)\r\n';

export type EscapeAction = { kind: 'send'; bytes: Uint8Array } | { kind: 'detach' } | { kind: 'help' };

const TILDE = 0x7e;
const DOT = 0x2e;
const QUESTION = 0x3f;
const CR = 0x0d;
const LF = 0x0a;

export class EscapeParser {
  private atLineStart = true;
  private pendingTilde = false;

  /** Splits typed bytes into what goes to the guest and the escapes found, in order. */
  feed(input: Uint8Array): EscapeAction[] {
    const out: EscapeAction[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length > 0) out.push({ kind: 'send', bytes: Uint8Array.from(run) });
      run = [];
    };
    for (const b of input) {
      if (this.pendingTilde) {
        this.pendingTilde = false;
        if (b === DOT) {
          flush();
          out.push({ kind: 'detach' });
          return out;
        }
        if (b === QUESTION) {
          flush();
          out.push({ kind: 'help' });
          this.atLineStart = true;
          continue;
        }
        if (b === TILDE) {
          run.push(TILDE);
          this.atLineStart = false;
          continue;
        }
        run.push(TILDE);
      } else if (b === TILDE && this.atLineStart) {
        this.pendingTilde = true;
        continue;
      }
      run.push(b);
      this.atLineStart = b === CR || b === LF;
    }
    flush();
    return out;
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
