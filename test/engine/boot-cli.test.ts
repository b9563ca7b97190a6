// `vm debug boot` end to end, as a user runs it (compiled CLI, piped console): commands typed on
// stdin reach the guest shell once it is ready, `poweroff` exits 0; on a terminal (a pty) the Ctrl-A
// escapes work and the guest console takes the terminal's size; bad flags and files give one clear error line and exit 1, never a stack trace.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runOnPty } from '../e2e/helpers/pty.js';

const ROOT = join(import.meta.dirname, '../..');
const BUILT = existsSync(join(ROOT, 'dist/cli/commands/debug/boot.js'));
const HAVE_BOX = existsSync(join(ROOT, 'boxes/tiny/box.json'));
const home = mkdtempSync(join(tmpdir(), 'vm-cli-boot-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function vm(args: string[], input = '', env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), 'debug', 'boot', ...args], {
    input,
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...process.env, VM_HOME: home, NO_COLOR: '1', ...env },
  });
}

describe.skipIf(!BUILT)('vm debug boot (compiled CLI; run `npm run build` first)', () => {
  it.skipIf(!HAVE_BOX)('boots the tiny box, runs piped commands, exits 0 on guest poweroff', () => {
    const r = vm([], 'uname -m; echo $((6*7)); poweroff\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/\nriscv64\r?\n42\r?\n/);
    expect(r.stdout).toContain('reboot: Power down');
    expect(r.status).toBe(0);
  }, 180_000);

  it.skipIf(!HAVE_BOX)('--profile prints real counts of the boot at exit', () => {
    // A threshold low enough that boot code gets translated whatever the shipped default is.
    const r = vm(['--profile'], 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; poweroff\n', { VM_JIT_THRESHOLD: '256' });
    expect(r.status).toBe(0);
    const n = (re: RegExp): number => {
      const m = re.exec(r.stderr);
      expect(m, `${re} in:\n${r.stderr}`).not.toBeNull();
      return Number(m![1]);
    };
    expect(n(/profile: ([\d.]+) M guest instructions in [\d.]+ s of guest execution/)).toBeGreaterThan(10);
    expect(n(/: ([\d.]+) M instructions\/s/)).toBeGreaterThan(0);
    expect(n(/translated code ran ([\d.]+) M instructions/)).toBeGreaterThan(0);
    expect(n(/regions compiled: (\d+) in/)).toBeGreaterThan(0);
    expect(n(/compile time (\d+) ms/)).toBeGreaterThanOrEqual(0);
    expect(n(/region runs: (\d+)/)).toBeGreaterThan(0);
    expect(n(/exits: jump (\d+)/)).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/threshold 256/);
  }, 180_000);

  it.skipIf(!HAVE_BOX)('on a terminal: Ctrl-A Ctrl-A types Ctrl-A, Ctrl-A H lists the escapes, Ctrl-A X quits with status 0', async () => {
    const r = await runOnPty(home, { ...process.env, VM_HOME: home, NO_COLOR: '1' }, ['debug', 'boot'], [
      { wait: 'console attached; Ctrl-A X quits', timeout: 60 },
      { wait: 'root@tiny:[^\\n]*# $', timeout: 120 },
      // Ctrl-A in the guest's line editor goes to the start of the line: the missing `e` lands there.
      { send: 'cho ctrl-a-$((6*7))\x01\x01e\r' },
      { wait: '\\nctrl-a-42\\r', timeout: 30 },
      { send: '\x01h' },
      { wait: 'Ctrl-A X +quit', timeout: 10 },
      { send: '\x01x' },
      { expectExit: 30 },
    ]);
    expect(r.error, r.screen).toBeNull();
    expect(r.exit).toBe(0);
    expect(r.screen).toContain('[vm] quit (Ctrl-A X)');
  }, 180_000);

  it.skipIf(!HAVE_BOX)("on a terminal: the guest console has the terminal's size", async () => {
    const r = await runOnPty(
      home,
      { ...process.env, VM_HOME: home, NO_COLOR: '1' },
      ['debug', 'boot'],
      [
        { wait: 'root@tiny:[^\\n]*# $', timeout: 120 },
        // The size is set through the agent just after ready: ask until the guest has it.
        { send: 'for n in 1 2 3 4 5 6 7 8 9 10; do [ "$(stty size)" = "37 101" ] && break; sleep 1; done; echo "size=$(stty size)"\r' },
        { wait: 'size=37 101', timeout: 60 },
        { send: '\x01x' },
        { expectExit: 30 },
      ],
      [37, 101],
    );
    expect(r.error, r.screen).toBeNull();
    expect(r.exit).toBe(0);
  }, 180_000);

  it('reports bad input in one line with exit status 1', () => {
    const missing = vm(['--kernel', '/nonexistent/Image']);
    expect([missing.status, missing.stderr]).toEqual([1, 'Error: kernel image not found: /nonexistent/Image\n']);
    const size = vm(['--kernel', '/nonexistent/Image', '--memory', '12Q']);
    expect([size.status, size.stderr]).toEqual([1, "Error: --memory: '12Q' is not a size\nHint: write it like 256M or 1G\n"]);
    const small = vm(['--kernel', '/nonexistent/Image', '--memory', '8M']);
    expect(small.stderr).toBe('Error: memory must be a whole number of MiB from 16M to 4G, got 8M\n');
    const dir = vm(['--kernel', tmpdir()]);
    expect(dir.stderr).toBe(`Error: kernel image is a directory, not a file: ${tmpdir()}\n`);
    const bomb = join(home, 'big.bin');
    writeFileSync(bomb, Buffer.alloc(20 * 1024 * 1024));
    const big = vm(['--kernel', bomb, '--memory', '16M']);
    expect(big.stderr).toMatch(/^Error: kernel image .*big\.bin is 20971520 bytes, more than the 16777216 that fit in the machine's memory\nHint: give the machine more memory \(--memory\)\n$/);
    expect(big.status).toBe(1);
  }, 60_000);
});
