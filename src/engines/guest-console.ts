// What a machine's console says to the host, read in one place. Two parties write host-meant lines
// into the console stream that every engine logs to console.log:
//   - the box: lines starting with `vm: ` (boxes/tiny/README.md): `vm: eth0 10.0.2.15/24` for each
//     address it gives a network card, `vm: ready` once its init is done, `vm: reboot` before it
//     reboots;
//   - the engine: its own notes, `[vm: TEXT]` on a line of their own (ConsoleLog.note), among them
//     REBOOT_NOTE when it boots the guest again in place.
// GuestConsoleParser turns that text into typed events and the state of the current boot, for the
// builtin engine (which paces the guest's clock by readiness) and for core (`vm up` waits for
// readiness and shows the addresses). The console is the one channel all engines share: qemu's QMP is
// qemu's own and carries no event of the box's; the guest agent is core's other sign of readiness.

/** The line a box prints once its init is done (boxes/tiny/README.md, boxes/debian-13). */
export const READY_MARKER = 'vm: ready';
/** The line the tiny box prints before it reboots. */
const GUEST_REBOOT_LINE = 'vm: reboot';
/** A box's address line: `vm: IFACE ADDR/PREFIX`, optionally followed by ` (static)`. */
const ADDRESS_LINE = /^vm: (eth\d+) (\d+\.\d+\.\d+\.\d+\/\d+)(?: |$)/;

/** An engine's own line in the console log, told apart from the guest's output by its brackets. */
export function engineNote(text: string): string {
  return `[vm: ${text}]`;
}

/** The engine's note that it boots the guest again; what the console said before belongs to the previous boot. */
export const REBOOT_NOTE = engineNote('reboot');

/**
 * Printable form of console text: escape sequences and carriage returns removed. OSC strings too
 * (ESC ] ... BEL or ST, ECMA-48 8.3.89): systemd resets a terminal with `ESC [ ! p ESC ] 104 BEL`
 * before a unit's output on it, on the same line as a box's `vm: ready`.
 */
export function cleanConsoleText(text: string): string {
  return text
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[@-_]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

export type GuestConsoleEvent =
  /** The box's init is done. */
  | { kind: 'ready' }
  /** The guest boots again (the box said so, or the engine noted it): readiness and addresses start over. */
  | { kind: 'reboot' }
  /** The box gave a network card an IPv4 address. */
  | { kind: 'address'; iface: string; cidr: string };

/** Lines longer than this are not protocol lines; only their start is kept while waiting for the newline. */
const MAX_LINE_CHARS = 4096;

/**
 * Reads console text as it arrives (chunks may split lines and escape sequences) and reports each
 * complete line that means something to the host. A line counts only when it is the whole line, so
 * a shell echoing `vm: ready` inside a command line is no marker.
 */
export class GuestConsoleParser {
  private partial = '';
  /** Whether the current boot printed the ready marker. */
  ready = false;
  /** The addresses the current boot reported, by interface. */
  readonly addresses = new Map<string, string>();

  /** A parser that has read `text` (a console log or its tail). */
  static of(text: string): GuestConsoleParser {
    const p = new GuestConsoleParser();
    p.feed(`${text}\n`);
    return p;
  }

  /** The events in `text` after what was fed before; the parser's state follows them. */
  feed(text: string): GuestConsoleEvent[] {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!.slice(0, MAX_LINE_CHARS);
    const events: GuestConsoleEvent[] = [];
    for (const raw of lines) {
      const event = lineEvent(cleanConsoleText(raw).trim());
      if (!event) continue;
      events.push(event);
      if (event.kind === 'ready') this.ready = true;
      else if (event.kind === 'address') this.addresses.set(event.iface, event.cidr);
      else {
        this.ready = false;
        this.addresses.clear();
      }
    }
    return events;
  }
}

function lineEvent(line: string): GuestConsoleEvent | undefined {
  if (line === READY_MARKER) return { kind: 'ready' };
  if (line === REBOOT_NOTE || line === GUEST_REBOOT_LINE) return { kind: 'reboot' };
  const a = ADDRESS_LINE.exec(line);
  return a ? { kind: 'address', iface: a[1]!, cidr: a[2]! } : undefined;
}
