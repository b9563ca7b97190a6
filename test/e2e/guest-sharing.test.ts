// Issue 15, through the real CLI on one machine: commands share the guest (a running `vm ssh -c`
// locks out neither a second one nor `vm halt`, and halt powers the guest off cleanly, so a file
// written just before survives whole); the console behaves as a serial getty's shell (Ctrl-C,
// Ctrl-\ and Ctrl-Z reach the foreground program; job control works); the window size is in place
// before the first command typed on the console; a guest that cannot be asked is stopped by force,
// never reported as halted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOnPty } from './helpers/pty.js';
import { E2E_READY, Project, show } from './helpers/vm-cli.js';

const BOOT = 300_000;

describe.skipIf(!E2E_READY)('sharing the guest and its console (compiled CLI; skipped when the engine under test is missing)', () => {
  let p: Project;

  beforeAll(async () => {
    p = new Project('share', 'box: tiny\nmemory: 256M\nboot_timeout: 4m\n');
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
  }, BOOT);

  afterAll(async () => {
    await p?.cleanup();
  }, 120_000);

  it('the console shell gets the window size first, and Ctrl-C, Ctrl-\\ and Ctrl-Z as on a terminal', async () => {
    const prompt = 'root@default:[^\\n]*# $';
    const r = await runOnPty(
      p.dir,
      p.env(),
      ['ssh'],
      [
        { wait: 'type ~\\. at the start', timeout: 30 },
        { send: '\r' },
        { wait: prompt, timeout: 30 },
        // no polling: the size is set before the session attaches
        { send: 'echo "size=$(stty size)"\r' },
        { wait: 'size=\\d+ \\d+', timeout: 30 },
        { send: 'sleep 1000\r' },
        { sleep: 1 },
        { send: '\x03' },
        { wait: `${prompt}`, timeout: 30 },
        { send: 'echo "int-status=$?"\r' },
        { wait: 'int-status=\\d+', timeout: 30 },
        { send: 'sleep 1000\r' },
        { sleep: 1 },
        { send: '\x1c' },
        { wait: prompt, timeout: 30 },
        { send: 'echo "quit-status=$?"\r' },
        { wait: 'quit-status=\\d+', timeout: 30 },
        { send: 'sleep 1000\r' },
        { sleep: 1 },
        { send: '\x1a' },
        { wait: 'Stopped', timeout: 30 },
        // wait reaps the job: the shell's "Killed" notice alone races the prompt. ash's wait
        // returns a job it still marks stopped at once (148), so first let the kill land: until
        // the process is a zombie or gone (reaped by the shell meanwhile, which marks the job done).
        {
          send: 'pid=$(jobs -p %1); kill -9 %1; while read -r _ _ st _ < /proc/$pid/stat 2>/dev/null && [ "$st" != Z ]; do sleep 0.1; done; wait %1; echo "killed-status=$?"\r',
        },
        { wait: 'killed-status=\\d+', timeout: 30 },
        { send: '\r~.' },
        { expectExit: 20 },
      ],
      [37, 111],
    );
    expect(r.error, r.screen).toBeNull();
    expect(r.exit).toBe(0);
    expect(r.screen).toContain('size=37 111');
    // 128 + SIGINT, 128 + SIGQUIT: the shell's child died of the signal the key sends
    expect(r.screen).toContain('int-status=130');
    expect(r.screen).toContain('quit-status=131');
    // 128 + SIGKILL: the stopped job was a job of this shell's, killed through its job number
    expect(r.screen).toContain('killed-status=137');
  }, 180_000);

  it('a running ssh -c locks out neither another ssh -c nor halt, which powers off cleanly', async () => {
    const long = p.start(['ssh', '-c', 'sleep 60']);
    await new Promise((r) => setTimeout(r, 2000));
    const started = Date.now();
    const second = await p.run(['ssh', '-c', 'echo second']);
    expect(second.code, show(second)).toBe(0);
    expect(second.stdout).toBe('second\n');
    expect(Date.now() - started).toBeLessThan(20_000);
    // written and not synced: only a clean poweroff (sync) keeps all of it
    const write = await p.run(['ssh', '-c', 'head -c 204800 /dev/urandom > /root/big.bin']);
    expect(write.code, show(write)).toBe(0);
    const h = await p.run(['halt'], { timeoutMs: 120_000 });
    expect(h.code, show(h)).toBe(0);
    expect(h.stdout).toContain('default: halted (the guest powered off when asked through its agent)');
    const l = await long.done;
    expect(l.code).not.toBe(0);
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    const size = await p.run(['ssh', '-c', 'stat -c %s /root/big.bin']);
    expect(size.stdout).toBe('204800\n');
  }, BOOT + 180_000);

  it('a guest that cannot be asked is stopped by force, and halt says so with exit code 6', async () => {
    // the agent stops answering a moment after this command has returned
    const stop = await p.run(['ssh', '-c', "nohup sh -c 'sleep 2; kill -STOP $(pidof vm-agent)' >/dev/null 2>&1 &"]);
    expect(stop.code, show(stop)).toBe(0);
    await new Promise((r) => setTimeout(r, 4000));
    const h = await p.run(['halt', '--timeout', '5'], { timeoutMs: 120_000 });
    expect(h.code, show(h)).toBe(6);
    expect(h.stdout).toContain('default: stopped by force (');
    expect(h.stdout).toContain('data the guest had not synced may be lost');
    expect(h.stdout).not.toContain('halted');
    expect((await p.status())[0]!.status).toBe('halted');
  }, 180_000);
});
