#!/usr/bin/env node
// Guest I/O on the builtin engine beside qemu-system-riscv64 (TCG) for the bundled tiny box: port
// forward throughput both ways (a 16 MiB random blob pushed from the host into `busybox nc -l` in the
// guest, then fetched back from `busybox httpd`, sha256 checked each way), forwarded connection
// latency (median of sequential fresh-connection HTTP GETs of a tiny page), and root-disk throughput
// (guest `dd` to the ext4 root on /dev/vda: write with conv=fsync, read after dropping caches).
// Machines are started through the Engine interface as `vm up` does (same plumbing as bench/qemu.js);
// forwards listen on 127.0.0.1 only. Times are host wall clock; "ours" is builtin, "reference" qemu.
// Needs the compiled code (npm run build); qemu-system-riscv64 is optional.
// Env: BENCH_IO_MB (transfer size, default 16), BENCH_IO_DISK_MB (dd size, default 32),
// BENCH_IO_PINGS (latency samples, default 30), BENCH_IO_STEP_S (per-step bound, default 60),
// BENCH_TIMEOUT_S (per boot, default 180), BENCH_IO_ONLY=net (skip the disk rows),
// BENCH_IO_ENGINES (comma list, default "qemu,builtin": e.g. "builtin" to iterate without the reference).
//   node bench/io.js            the table
//   node bench/io.js --json     the figures as JSON
//   bench/run.js imports it (name, run) for `npm run bench`.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanUpMachine, configFor as baseConfig, DIST, guestSh, median, runtimePaths, sleep, startTime, unpackBox, waitGone, waitReady as waitReadyFor } from './lib/machine.js';
import { fileURLToPath } from 'node:url';
import { report } from './lib/table.js';

const MIB = 1024 * 1024;
const XFER_MB = Number(process.env.BENCH_IO_MB ?? 16);
const DISK_MB = Number(process.env.BENCH_IO_DISK_MB ?? 32);
const PINGS = Number(process.env.BENCH_IO_PINGS ?? 30);
const STEP_MS = Number(process.env.BENCH_IO_STEP_S ?? 60) * 1000;
const BOOT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 180) * 1000;
const NC_PORT = 5001;
const HTTP_PORT = 80;
const DD_FILE = '/vm-bench-dd.bin';
const NET_ONLY = process.env.BENCH_IO_ONLY === 'net';
const ENGINES = (process.env.BENCH_IO_ENGINES ?? 'qemu,builtin').split(',').map((e) => e.trim());

export const name = 'io';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** Rejects after `ms` with a message naming the step, so no measurement can hang the bench. */
function bounded(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A port free on loopback right now (the engine binds it moments later; a race loses loudly). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const configFor = (box, project, engine, forwards) => baseConfig(box, project, engine, { forwards, macByte: 1, bootTimeoutMs: BOOT_MS });

const waitReady = (consoleLog, pid, since) => waitReadyFor(consoleLog, pid, since, BOOT_MS);

/** Runs a guest shell script through the agent; fails unless it exits 0. Returns stdout and host seconds. */
const sh = (agent, script, ms = STEP_MS) => guestSh(agent, script, ms);

/** Waits until something in the guest listens on TCP `port` (the forward would RST before that). */
async function waitListening(agent, port) {
  const deadline = Date.now() + STEP_MS;
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  while (Date.now() < deadline) {
    // state 0A is LISTEN in /proc/net/tcp; no dependency on netstat being built in
    const { out } = await sh(agent, 'cat /proc/net/tcp');
    if (out.split('\n').some((l) => l.includes(`:${hex} `) && l.split(/\s+/)[4] === '0A')) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on guest port ${port} after ${STEP_MS / 1000} s`);
}

/** Host -> guest: connect to the forward, send `blob`, half-close; done when the guest's nc closes. */
function push(port, blob) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.on('error', reject);
    sock.on('data', () => undefined);
    sock.on('close', () => resolve((performance.now() - t0) / 1000));
    sock.end(blob);
  });
}

/** One fresh-connection GET through the forward: seconds, body sha256 and length. */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${path} through the forward: HTTP ${res.statusCode}`));
        return;
      }
      const h = createHash('sha256');
      let n = 0;
      res.on('data', (c) => {
        n += c.length;
        h.update(c);
      });
      res.on('end', () => resolve({ seconds: (performance.now() - t0) / 1000, sha: h.digest('hex'), length: n }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Parses busybox dd's "..., 1.23 seconds, 26.0MB/s" status line (the guest clock's own figure). */
const ddRate = (stderr) => stderr.match(/copied,\s*([\d.]+)\s*seconds,\s*([\d.]+\s*\w+\/s)/)?.[2]?.replace(/\s+/g, '');

/** Boots `engineName`, measures everything on that one boot, stops it. */
async function measure(engineName, engine, box, project, blob) {
  const { waitForAgent } = await import(join(DIST, 'core/agent/client.js'));
  const ncHost = await freePort();
  const httpHost = await freePort();
  const forwards = [
    { guest: NC_PORT, host: ncHost, hostIp: '127.0.0.1', protocol: 'tcp' },
    { guest: HTTP_PORT, host: httpHost, hostIp: '127.0.0.1', protocol: 'tcp' },
  ];
  const config = configFor(box, project, engineName, forwards);
  const a = await engine.availability(config);
  if (!a.ok) throw new Error(`${engineName} engine unavailable: ${a.reason}${a.hint ? ` (${a.hint})` : ''}`);
  const stateDir = config.project.stateDir;
  const paths = runtimePaths(stateDir);
  const { runDir } = paths;
  await engine.prepare(config);
  const proc = await engine.start(config, paths);
  const since = startTime(proc.pid);
  let agent;
  try {
    await waitReady(paths.consoleLog, proc.pid, since);
    agent = await waitForAgent(paths.agentSocket, { timeoutMs: BOOT_MS });
    const out = { accel: proc.accel };
    const want = sha256(blob);

    // 1. host -> guest through the forward into nc, landing on tmpfs (not the disk being measured)
    const nc = agent.run({ argv: ['sh', '-c', `nc -l -p ${NC_PORT} > /tmp/blob`], timeoutMs: STEP_MS });
    nc.catch(() => undefined);
    await waitListening(agent, NC_PORT);
    out.push = await bounded(push(ncHost, blob), STEP_MS, 'the host->guest transfer');
    const ncr = await bounded(nc, STEP_MS, 'the guest nc');
    if (ncr.status.code !== 0) throw new Error(`guest nc failed (${JSON.stringify(ncr.status)}): ${ncr.stderr}`);
    const got = (await sh(agent, 'sha256sum /tmp/blob')).out.split(/\s+/)[0];
    if (got !== want) throw new Error(`host->guest: the guest received sha256 ${got}, sent ${want}`);

    // 2. guest -> host: the same blob served by httpd, fetched through the second forward
    await sh(agent, `mkdir -p /tmp/www && mv /tmp/blob /tmp/www/blob && echo ok > /tmp/www/index.html && httpd -p ${HTTP_PORT} -h /tmp/www`);
    await waitListening(agent, HTTP_PORT);
    const pulled = await bounded(get(httpHost, '/blob'), STEP_MS, 'the guest->host transfer');
    if (pulled.sha !== want || pulled.length !== blob.length)
      throw new Error(`guest->host: received ${pulled.length} bytes with sha256 ${pulled.sha}, expected ${blob.length} bytes ${want}`);
    out.pull = pulled.seconds;

    // 3. latency: sequential fresh connections, each a full connect + GET + close; the first warms up
    await bounded(get(httpHost, '/index.html'), STEP_MS, 'the warm-up request');
    const lat = [];
    const latDeadline = Date.now() + STEP_MS;
    while (lat.length < PINGS && Date.now() < latDeadline) {
      const r = await bounded(get(httpHost, '/index.html'), STEP_MS, 'a latency request');
      if (r.length !== 3) throw new Error(`latency request: body of ${r.length} bytes, expected 3`);
      lat.push(r.seconds);
    }
    out.latency = median(lat);
    out.latencyN = lat.length;
    out.latencyMin = Math.min(...lat);
    out.latencyMax = Math.max(...lat);

    if (NET_ONLY) {
      await agent.poweroff(5000).catch(() => undefined);
      await waitGone(proc.pid, since, 15_000);
      return out;
    }

    // 4. disk: the root file system must be the ext4 disk (not the initramfs), or dd measures RAM
    const mounts = (await sh(agent, 'cat /proc/mounts')).out;
    if (!mounts.split('\n').some((l) => /^\/dev\/vda \/ ext4 /.test(l)))
      throw new Error(`the guest's / is not the ext4 root disk /dev/vda:\n${mounts}`);
    const w = await sh(agent, `dd if=/dev/zero of=${DD_FILE} bs=1M count=${DISK_MB} conv=fsync`);
    out.diskWrite = w.seconds;
    out.diskWriteGuest = ddRate(w.err);
    await sh(agent, 'sync && echo 3 > /proc/sys/vm/drop_caches');
    const r = await sh(agent, `dd if=${DD_FILE} of=/dev/null bs=1M`);
    out.diskRead = r.seconds;
    out.diskReadGuest = ddRate(r.err);
    if (!r.err.includes(`${DISK_MB * MIB} bytes`)) throw new Error(`dd read back the wrong size: ${r.err}`);
    // the agent's own round trip, so a reader can tell how much of a dd figure is command overhead
    const rtt = [];
    for (let i = 0; i < 3; i++) rtt.push((await sh(agent, 'true')).seconds);
    out.agentRtt = median(rtt);
    await sh(agent, `rm -f ${DD_FILE}`);
    await agent.poweroff(5000).catch(() => undefined);
    await waitGone(proc.pid, since, 15_000);
    return out;
  } finally {
    agent?.close();
    await cleanUpMachine({ pid: proc.pid, since, engine, config, runDir });
  }
}

const mbps = (bytes, s) => `${(bytes / MIB / s).toFixed(2)} MiB/s`;

export async function run() {
  if (!existsSync(join(DIST, 'engines/builtin/builtin-engine.js'))) throw new Error('dist/ is missing: run npm run build first');
  const { QemuEngine } = await import(join(DIST, 'engines/qemu/index.js'));
  const { BuiltinEngine } = await import(join(DIST, 'engines/builtin/builtin-engine.js'));
  const project = mkdtempSync(join(tmpdir(), 'vm-bench-io-'));
  try {
    const box = unpackBox(project);
    const blob = randomBytes(XFER_MB * MIB);
    let qemu;
    let qemuError;
    try {
      if (!ENGINES.includes('qemu')) throw new Error('skipped (BENCH_IO_ENGINES)');
      qemu = await measure('qemu', new QemuEngine(), box, project, blob);
    } catch (err) {
      qemuError = err.message;
    }
    let builtin;
    let builtinError;
    try {
      if (!ENGINES.includes('builtin')) throw new Error('skipped (BENCH_IO_ENGINES)');
      builtin = await measure('builtin', new BuiltinEngine(), box, project, blob);
    } catch (err) {
      builtinError = err.message;
    }
    const note = qemu
      ? `qemu-system-riscv64 ${qemu.accel.toUpperCase()} with slirp hostfwd, same tiny box, 1 cpu, 256 MiB`
      : `no qemu figure: ${qemuError}`;
    const ratio = (key) => {
      const r = builtin[key] / qemu[key];
      return r >= 1 ? `builtin takes ${r.toFixed(1)}x qemu's time` : `builtin is ${(1 / r).toFixed(1)}x faster than qemu`;
    };
    const rows = [];
    const row = (bench, key, describe) => {
      if (!builtin) {
        const alone = qemu ? ` (qemu alone: ${qemu[key].toFixed(3)} s; ${describe(qemu)})` : '';
        return { bench, error: `builtin engine: ${builtinError}${alone}` };
      }
      const parts = [`builtin ${describe(builtin)}`];
      if (qemu) parts.push(`qemu ${describe(qemu)}`, ratio(key));
      return { bench, ours: builtin[key], reference: qemu?.[key], detail: parts.join('; '), referenceNote: rows.length ? undefined : note };
    };
    const xfer = XFER_MB * MIB;
    const disk = DISK_MB * MIB;
    const ddNote = (w) => (w ? `, guest dd says ${w}` : '');
    rows.push(row(`forward host->guest ${XFER_MB} MiB (nc)`, 'push', (o) => `${mbps(xfer, o.push)}, sha256 ok`));
    rows.push(row(`forward guest->host ${XFER_MB} MiB (httpd)`, 'pull', (o) => `${mbps(xfer, o.pull)}, sha256 ok`));
    rows.push(
      row('forward connect+GET latency, median', 'latency', (o) =>
        `${(o.latency * 1000).toFixed(1)} ms median of ${o.latencyN} (min ${(o.latencyMin * 1000).toFixed(1)}, max ${(o.latencyMax * 1000).toFixed(1)})`,
      ),
    );
    if (NET_ONLY) return rows;
    rows.push(
      row(`root disk dd write ${DISK_MB} MiB conv=fsync`, 'diskWrite', (o) =>
        `${mbps(disk, o.diskWrite)}${ddNote(o.diskWriteGuest)} (agent round trip ${(o.agentRtt * 1000).toFixed(0)} ms)`,
      ),
    );
    rows.push(row(`root disk dd read ${DISK_MB} MiB, caches dropped`, 'diskRead', (o) => `${mbps(disk, o.diskRead)}${ddNote(o.diskReadGuest)}`));
    if (qemuError && builtin) rows[0].referenceNote = note;
    return rows;
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
