// The console protocol's one reader (src/engines/guest-console.ts), used by the builtin engine for its
// ready signal and by core for `vm up`'s readiness and network steps; and the engine's reboot note,
// written by ConsoleLog and read by the same parser.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuestConsoleParser, READY_MARKER, REBOOT_NOTE } from '../../../src/engines/guest-console.js';
import { ConsoleLog } from '../../../src/engines/shared/console-log.js';
import { consoleState } from '../../../src/core/lifecycle/console/log.js';

const ready = (text: string): boolean => GuestConsoleParser.of(text).ready;

describe('guest console parser', () => {
  it('needs the ready marker on a line of its own, escape sequences and carriage returns aside', () => {
    expect(ready('Linux...\r\nvm: ready\r\nroot@x:~# ')).toBe(true);
    expect(ready('\x1b[1mvm: ready\x1b[0m\r\n')).toBe(true);
    // a shell echoing the words is no marker (the builtin engine used to take any occurrence)
    expect(ready('root@x:~# echo vm: ready is here\n')).toBe(false);
    expect(ready('root@x:~# echo vm: ready\n')).toBe(false);
  });

  it("reads the marker after systemd's terminal reset (CSI and OSC strings, BEL or ST ended) on the same line", () => {
    // as a systemd unit writing to ttyS0 leaves it in console.log (debian-13 box)
    expect(ready('\x1b[!p\x1b]104\x07\x1b[?7hvm: ready\r\n')).toBe(true);
    expect(ready('\x1b]0;title\x1b\\vm: ready\n')).toBe(true);
    expect(ready('\x1b]104\x07xvm: ready\n')).toBe(false);
  });

  it('starts over after a reboot, whether the engine noted it or the box said so', () => {
    expect(ready(`vm: ready\n${REBOOT_NOTE}\nLinux again\n`)).toBe(false);
    expect(ready(`vm: ready\n${REBOOT_NOTE}\nvm: ready\n`)).toBe(true);
    // the tiny box prints `vm: reboot` before rebooting; on qemu no engine note follows
    expect(ready('vm: ready\nvm: reboot\nLinux again\n')).toBe(false);
    const p = GuestConsoleParser.of('vm: eth0 10.0.2.15/24\nvm: reboot\nvm: eth0 10.0.2.16/24\n');
    expect([...p.addresses]).toEqual([['eth0', '10.0.2.16/24']]);
  });

  it('reads the addresses the box reports, static ones too, and nothing else', () => {
    const p = GuestConsoleParser.of(
      'vm: root on /dev/vda\r\nvm: eth0 10.0.2.15/24\r\nvm: eth1 192.168.56.10/24 (static)\r\nvm: eth2 has no address (bad vm.net)\r\n',
    );
    expect([...p.addresses]).toEqual([
      ['eth0', '10.0.2.15/24'],
      ['eth1', '192.168.56.10/24'],
    ]);
  });

  it('reports typed events as text arrives in pieces, lines and escape sequences split anywhere', () => {
    const text = 'boot\r\n\x1b[1mvm: eth0 10.0.2.15/24\x1b[0m\r\nvm: ready\r\nroot@tiny:~# ';
    for (let cut = 0; cut < text.length; cut++) {
      const p = new GuestConsoleParser();
      const events = [...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))];
      expect(events).toEqual([{ kind: 'address', iface: 'eth0', cidr: '10.0.2.15/24' }, { kind: 'ready' }]);
      expect(p.ready).toBe(true);
    }
    // the marker counts once its line ends
    const p = new GuestConsoleParser();
    expect(p.feed(READY_MARKER)).toEqual([]);
    expect(p.feed('\r\n')).toEqual([{ kind: 'ready' }]);
  });

  it('the reboot note ConsoleLog writes is the one the parser reads, in a real console.log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-guest-console-'));
    try {
      const path = join(dir, 'console.log');
      const log = new ConsoleLog(path);
      log.write(new TextEncoder().encode('vm: eth0 10.0.2.15/24\r\nvm: ready\r\n'));
      log.noteReboot();
      log.write(new TextEncoder().encode('Linux again\r\n'));
      await log.close();
      expect(readFileSync(path, 'utf8')).toContain(REBOOT_NOTE);
      const state = await consoleState(path);
      expect(state.ready).toBe(false);
      expect(state.addresses.size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
