// The everyday workflow of issue 14 through the real CLI, on two machines of one Vmfile: `vm up`
// follows depends_on and waits for the db's ready probe (the web's provisioner fetches from the db
// over a private network, which only works once the db's late-starting server listens); a taken
// forward port is auto-corrected and `vm port` says which; `vm ssh -- CMD ARGS` runs argv without a
// shell on the primary machine; `vm cp` copies a tree both ways with sha256 and mode checks; `vm
// plan` says what up/reload would do. One boot of each machine serves every check.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_READY, Project, show } from './helpers/vm-cli.js';

const BOOT = 600_000;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(!E2E_READY)('everyday workflow (compiled CLI; run `npm run build` first; skipped when the engine under test is missing)', () => {
  let p: Project;
  let holder: net.Server;
  let taken = 0;
  const network = `e2e-wf-${process.pid}`;

  beforeAll(async () => {
    // A host port something already listens on: the web's forward asks for it.
    holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    taken = (holder.address() as net.AddressInfo).port;
    p = new Project('workflow', '');
    p.writeMultiVmfile(`defaults:
  box: tiny
  memory: 128M
  boot_timeout: 5m
machines:
  db:
    nics: [{type: nat}, {type: private, network: ${network}, ip: 192.168.79.11}]
    provision:
      - type: shell
        inline: |
          mkdir -p /srv/db && echo "db says hi" > /srv/db/index.html
          (sleep 4; httpd -p 7000 -h /srv/db) </dev/null >/dev/null 2>&1 &
    ready: {tcp: 7000, timeout: 3m}
  web:
    primary: true
    auto_forwards: true
    depends_on: [db]
    nics: [{type: nat}, {type: private, network: ${network}, ip: 192.168.79.10}]
    forwards:
      - {guest: 8000, host: ${taken}, auto_correct: true}
    provision:
      - type: shell
        inline: |
          wget -q -O /root/from-db.html http://192.168.79.11:7000/
          mkdir -p /srv/www && echo "web here" > /srv/www/index.html
          httpd -p 8000 -h /srv/www
`);
  });
  afterAll(async () => {
    await p?.cleanup();
    await new Promise<void>((r) => (holder ? holder.close(() => r()) : r()));
  });

  it('vm up brings db up and ready before web, and moves the taken port', async () => {
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(0);
    expect(up.stdout).toMatch(/Ready: tcp 7000/);
    // db's ready line comes before web boots
    expect(up.stdout.indexOf('Ready: tcp 7000'), show(up)).toBeLessThan(up.stdout.indexOf('web: Boot'));
    expect(up.stderr).toContain(`machine 'web': host port ${taken} was in use, so 127.0.0.1:`);
    const fetched = await p.run(['ssh', 'web', '--', 'cat', '/root/from-db.html']);
    expect(fetched.stdout, show(fetched)).toBe('db says hi\n');
  }, BOOT);

  it('vm port shows the port auto_correct picked, and it serves the guest', async () => {
    const r = await p.run(['port', 'web', '--json']);
    expect(r.code, show(r)).toBe(0);
    const [web] = JSON.parse(r.stdout) as { forwards: { host: number; requestedHost?: number; guest: number }[] }[];
    const f = web!.forwards[0]!;
    expect(f.requestedHost).toBe(taken);
    expect(f.host).not.toBe(taken);
    const text = await p.run(['port', 'web']);
    expect(text.stdout).toContain(`127.0.0.1:${f.host} -> 8000/tcp  (auto_correct: ${taken} was in use)`);
    const res = await fetch(`http://127.0.0.1:${f.host}/`, { signal: AbortSignal.timeout(20_000) });
    expect(await res.text()).toBe('web here\n');
  }, 60_000);

  it('vm ssh -- CMD ARGS runs argv without a shell, on the primary machine, with its exit code', async () => {
    const args = ['a b', '$(id)', `q'"`, '*', ''];
    const r = await p.run(['ssh', '--', 'printf', '[%s]', ...args]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe(args.map((a) => `[${a}]`).join(''));
    expect((await p.run(['ssh', '--', 'hostname'])).stdout).toBe('web\n');
    expect((await p.run(['ssh', 'db', '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    const missing = await p.run(['ssh', '--', 'no-such-command']);
    expect(missing.code).toBe(127);
    const both = await p.run(['ssh', '-c', 'true', '--', 'true']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('give the command either with -c or after `--`, not both');
    const help = await p.run(['ssh', '--help']);
    expect(help.stdout).toContain('Console or command');
  }, 120_000);

  it('vm cp copies a tree into the guest and back, byte and mode exact', async () => {
    const src = join(p.dir, 'tree');
    mkdirSync(join(src, 'sub'), { recursive: true });
    const big = randomBytes(1024 * 1024 + 3);
    writeFileSync(join(src, 'sub', 'big.bin'), big);
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
    writeFileSync(join(src, 'secret'), 'k', { mode: 0o600 });
    writeFileSync(join(src, 'with space'), 'spaced');
    chmodSync(join(src, 'sub'), 0o750);
    symlinkSync('sub/big.bin', join(src, 'link'));

    const into = await p.run(['cp', 'tree', 'web:/root/']);
    expect(into.code, show(into)).toBe(0);
    const sums = await p.run(['ssh', '--', 'sh', '-c', 'cd /root/tree && sha256sum sub/big.bin && stat -c "%a %n" run.sh secret sub && readlink link && cat "with space"']);
    expect(sums.stdout, show(sums)).toBe(`${sha(big)}  sub/big.bin\n755 run.sh\n600 secret\n750 sub\nsub/big.bin\nspaced`);

    const back = join(p.dir, 'back');
    const out = await p.run(['cp', ':/root/tree', back]);
    expect(out.code, show(out)).toBe(0);
    expect(sha(readFileSync(join(back, 'sub', 'big.bin')))).toBe(sha(big));
    expect(lstatSync(join(back, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(back, 'secret')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(back, 'sub')).mode & 0o777).toBe(0o750);
    expect(readlinkSync(join(back, 'link'))).toBe('sub/big.bin');
    expect(readFileSync(join(back, 'with space'), 'utf8')).toBe('spaced');

    const one = await p.run(['cp', 'db:/srv/db/index.html', join(p.dir, 'db.html')]);
    expect(one.code, show(one)).toBe(0);
    expect(readFileSync(join(p.dir, 'db.html'), 'utf8')).toBe('db says hi\n');
    const bad = await p.run(['cp', 'tree', 'elsewhere']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('one side of `vm cp` must be in a machine: NAME:PATH');
  }, 300_000);

  it('vm plan says what up and reload would do, as vm status does', async () => {
    const before = await p.run(['plan', '--json']);
    expect(before.code, show(before)).toBe(0);
    const actions = (r: { stdout: string }): Record<string, { action: string; changed?: string[] }> =>
      Object.fromEntries((JSON.parse(r.stdout) as { machines: { name: string; action: string; changed?: string[] }[] }).machines.map((m) => [m.name, m]));
    // the moved port is not a change: the plan compares with the Vmfile as written
    expect(actions(before)).toMatchObject({ db: { action: 'none' }, web: { action: 'none' } });
    const vmfile = join(p.dir, 'Vmfile');
    const text = readFileSync(vmfile, 'utf8');
    writeFileSync(vmfile, text.replace('    primary: true\n', '    primary: true\n    memory: 192M\n    cpus: 2\n'));
    const after = await p.run(['plan']);
    expect(after.code, show(after)).toBe(0);
    expect(after.stdout).toMatch(/^db +running +nothing to do: running as the Vmfile says$/m);
    expect(after.stdout).toMatch(/^web +running +apply at reload \(cpus, memory\): `vm reload web`$/m);
    expect(actions(await p.run(['plan', 'web', '--json']))).toEqual({ web: expect.objectContaining({ action: 'reload', changed: ['cpus', 'memory'] }) });
    const status = await p.run(['status', '--json']);
    expect((JSON.parse(status.stdout) as { machines: { name: string; needs?: string }[] }).machines.find((m) => m.name === 'web')!.needs).toBe('reload');
    writeFileSync(vmfile, text);
  }, 60_000);

  it('auto_forwards: a server started in the guest after up is reachable on the same host port, until it stops', async () => {
    // a port free on this host, for the guest's server to take
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address() as net.AddressInfo;
        srv.close(() => resolve(a.port));
      });
    });
    const start = await p.run(['ssh', '--', 'httpd', '-p', String(port), '-h', '/srv/www']);
    expect(start.code, show(start)).toBe(0);
    type Row = { forwards: { guest: number; host: number; auto?: boolean }[] };
    const autoRows = async (): Promise<Row['forwards']> => ((JSON.parse((await p.run(['port', 'web', '--json'])).stdout) as Row[])[0]!.forwards).filter((f) => f.auto);
    const until = async (ok: (rows: Row['forwards']) => boolean): Promise<Row['forwards']> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const rows = await autoRows();
        if (ok(rows) || Date.now() > deadline) return rows;
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    expect(await until((r) => r.some((f) => f.guest === port))).toContainEqual({ guest: port, host: port, hostIp: '127.0.0.1', protocol: 'tcp', auto: true });
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(20_000) });
    expect(await res.text()).toBe('web here\n');
    const text = await p.run(['port', 'web']);
    expect(text.stdout).toContain(`127.0.0.1:${port} -> ${port}/tcp  (auto: the guest listens on it)`);
    // the explicit forward's guest port keeps its own forward, not a second one
    expect((await autoRows()).some((f) => f.guest === 8000)).toBe(false);
    const stop = await p.run(['ssh', '--', 'pkill', '-f', `httpd -p ${port}`]);
    expect(stop.code, show(stop)).toBe(0);
    expect((await until((r) => !r.some((f) => f.guest === port))).some((f) => f.guest === port)).toBe(false);
  }, 180_000);
});

describe.skipIf(!E2E_READY)('a dependency that never becomes ready (compiled CLI)', () => {
  let p: Project;
  beforeAll(() => {
    p = new Project('depfail', '');
    p.writeMultiVmfile(`defaults:
  box: tiny
  memory: 128M
  boot_timeout: 5m
machines:
  app:
    depends_on: [base]
  base:
    ready: {command: "echo not yet >&2; exit 3", timeout: 3s}
`);
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('fails vm up with the probe\'s last answer, and does not start what depends on it', async () => {
    const up = await p.run(['up'], { timeoutMs: BOOT });
    expect(up.code, show(up)).toBe(1);
    expect(up.stderr).toContain("machine 'base' did not become ready within 3 s (ready: `echo not yet >&2; exit 3`): `echo not yet >&2; exit 3` exited 3: not yet");
    expect(up.stderr).toContain("machine 'app' was not started: machine 'base', which it depends on, did not come up");
    // the cause is the error reported last (the one whose exit code and hint reach the user)
    expect(up.stderr.lastIndexOf("machine 'base' did not become ready")).toBeGreaterThan(up.stderr.indexOf("machine 'app' was not started"));
    expect(Object.fromEntries((await p.status()).map((m) => [m.name, m.status]))).toEqual({ app: 'not created', base: 'running' });
  }, BOOT);
});
