// ssh-style escapes on typed console input: `~` right after Enter (or first thing) starts one.
// `~.` detaches, `~~` sends one `~`, `~?` lists the escapes; any other key sends `~` and itself.

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
