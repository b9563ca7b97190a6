// The console log file (console.log in the machine's state folder): every byte the guest prints, kept
// bounded on disk (rotated to console.log.1 past a size) and in memory (a disk that cannot keep up
// loses output, counted in the file, instead of the engine growing).
import { constants as C, createWriteStream, openSync, renameSync } from 'node:fs';
import { Writable } from 'node:stream';
import { engineNote, REBOOT_NOTE } from '../guest-console.js';

/** Past this many bytes the log moves to `<log>.1` (replacing the previous one) and starts again. */
export const CONSOLE_LOG_ROTATE_BYTES = 8 * 1024 * 1024;
/** Bytes queued for the disk before output is dropped. */
const QUEUE_LIMIT = 1024 * 1024;

export class ConsoleLog {
  private stream: Writable;
  private written = 0;
  private dropped = 0;

  /** Starts a fresh log for this boot; the previous boot's log becomes `<path>.1`. */
  constructor(
    private readonly path: string,
    private readonly rotateBytes = CONSOLE_LOG_ROTATE_BYTES,
  ) {
    this.rotateAway();
    this.stream = this.open();
  }

  write(chunk: Uint8Array): void {
    if (this.stream.writableLength > QUEUE_LIMIT) {
      this.dropped += chunk.length;
      return;
    }
    if (this.dropped > 0) {
      this.stream.write(`\n[vm: ${this.dropped} bytes of console output were not logged: the disk did not keep up]\n`);
      this.dropped = 0;
    }
    if (this.written + chunk.length > this.rotateBytes) {
      this.stream.end();
      this.rotateAway();
      this.stream = this.open();
      this.written = 0;
    }
    this.stream.write(chunk);
    this.written += chunk.length;
  }

  /** A line from the engine itself, marked as such (guest-console.ts engineNote). */
  note(text: string): void {
    this.writeLine(engineNote(text));
  }

  /** The engine boots the guest again: what the log said before belongs to the previous boot. */
  noteReboot(): void {
    this.writeLine(REBOOT_NOTE);
  }

  private writeLine(line: string): void {
    this.write(new TextEncoder().encode(`\r\n${line}\r\n`));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }

  private open(): Writable {
    let fd: number;
    try {
      // O_NOFOLLOW: a link planted where the log goes is never written through.
      fd = openSync(this.path, C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW, 0o600);
    } catch (err) {
      process.stderr.write(`console log ${this.path} cannot be opened (${(err as Error).message}); console output is not logged\n`);
      return new Writable({ write: (_c, _e, cb) => cb() });
    }
    const s = createWriteStream('', { fd });
    // A full or vanished disk must not kill the machine: the log is a convenience.
    s.on('error', () => undefined);
    return s;
  }

  private rotateAway(): void {
    try {
      renameSync(this.path, `${this.path}.1`);
    } catch {
      // no previous log
    }
  }
}
