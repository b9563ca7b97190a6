// Escapes on typed console input, in one of two styles. `ssh` (vm ssh): `~` right after Enter (or
// first thing) starts one; `~.` detaches, `~~` sends one `~`, `~?` lists the escapes; any other key
// sends `~` and itself. `ctrl-a` (vm debug boot, as QEMU's -serial mon:stdio): Ctrl-A anywhere
// starts one; Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A H lists the escapes; any other
// key after Ctrl-A is dropped.

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
