// `vm box build`: a recipe -> a verified box in the store, as steps a task list shows (resolve,
// download, configure, image, kernel, initrd, checksum). Everything happens in a work folder inside
// the store's tmp/ named for this process; the box enters the store through addBox's atomic rename,
// and an interrupted or killed build leaves only that folder, which the next build unmounts and removes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExternalError, UserError } from '../errors.js';
import { BOX_ORIGIN_FILE, packageRoot, storeRoot, storeTmpDir, type StoreLocation } from '../paths.js';
import { currentBootId, isAlive } from '../machines/process-identity.js';
import { AGENT_COMPILERS, checkHostTools, hostArch } from './build-tools.js';
import { buildInitrd } from './build-initrd.js';
import { DEBIAN_ARCH, clampTimesArgs, customizeScript, mmdebstrapArgs, parsePackageManifest, type RootfsPaths } from './build-rootfs.js';
import { OPENSSH_HOST_KEY, type BoxManifest } from './manifest.js';
import type { BoxRecipe } from './recipe.js';
import { addBox, ensureStore, readStoredBox, tempPrefix, type AddResult, type StoredBox } from './store.js';

const run = promisify(execFile);

/** Under the store root: downloaded .debs per architecture, kept between builds. */
const DEB_CACHE_DIR = 'cache/debs';
/** Env var naming another folder for the downloaded .debs (tests share one between stores). */
export const BUILD_CACHE_ENV = 'VM_BOX_BUILD_CACHE';
/** Under the store root: the log of each recipe's last build. */
const BUILD_LOG_DIR = 'logs';
/** Work folders: `build-PID-BOOT-RANDOM` in the store's tmp/, swept by sweepStaleBuilds. */
const BUILD_TEMP = /^build-(\d+)-([0-9a-f]{8}|noboot)-/;

export type BuildStepId = 'resolve' | 'download' | 'configure' | 'image' | 'kernel' | 'initrd' | 'checksum';

export interface BuildStepIO {
  title(text: string): void;
  output(text: string): void;
}

export interface BuildStep {
  id: BuildStepId;
  title: string;
  run(io: BuildStepIO): Promise<void>;
}

export interface BuildOptions {
  loc?: StoreLocation;
  /** Replace a stored box of the same name and version. */
  force?: boolean;
  /** Also write a .box archive here. */
  output?: string;
  /** SOURCE_DATE_EPOCH instead of the recipe's or the archive's date. */
  sourceDateEpoch?: number;
  /** Tests: skip putting the result in the store (the box folder is kept in `keepDir`). */
  keepDir?: string;
  /** Where downloaded .debs are kept between builds (default: $VM_BOX_BUILD_CACHE, or the store's cache/debs/ARCH). */
  cacheDir?: string;
}

export interface BuildResult {
  manifest?: BoxManifest;
  checksum?: string;
  rootImageSha256?: string;
  added?: AddResult;
  archive?: string;
  seconds: number;
}

export interface BuildSession {
  steps: BuildStep[];
  result: BuildResult;
  /** Stops a running child and removes the work folder; safe to call twice. */
  close(): Promise<void>;
}

/** The archive state a build starts from: the suite's Release file. */
export interface ArchiveState {
  date: string;
  epoch: number;
  version?: string;
  architectures: string[];
}

/** `name_1%3a2.0-1_riscv64.deb` file names -> dpkg-query's `name\tversion\tarch` lines. */
export function debsToManifest(debs: string[]): string {
  return debs
    .map((d) => /^([^_]+)_([^_]+)_([^_]+)\.deb$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}\t${decodeURIComponent(m[2]!)}\t${m[3]}\n`)
    .join('');
}

/** Reads Date, Version and Architectures from Release/InRelease text. */
export function parseRelease(text: string): ArchiveState {
  const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  const date = field('Date');
  const epoch = date ? Math.floor(Date.parse(date) / 1000) : NaN;
  if (!date || !Number.isSafeInteger(epoch)) throw new UserError('the archive\'s Release file has no readable Date field');
  const version = field('Version');
  return { date, epoch, ...(version ? { version } : {}), architectures: (field('Architectures') ?? '').split(/\s+/).filter(Boolean) };
}

/**
 * The build `vm box build` can skip: the store already holds this box built from this very recipe
 * (box.json's build.recipe_sha256 is the recipe's hash, which covers its text and every file it
 * copies in). Then `output`, if given, gets the stored box's archive. Undefined when the box is
 * absent, damaged or built from another recipe state. The archive may have moved on since (a new
 * point release): `--force` builds again.
 */
export async function reuseStoredBuild(recipe: BoxRecipe, opts: { output?: string; loc?: StoreLocation } = {}): Promise<{ box: StoredBox; archive?: string } | undefined> {
  const box = await readStoredBox(recipe.name, recipe.version, opts.loc);
  if (!box || box.error || box.manifest?.build?.recipe_sha256 !== recipe.hash) return undefined;
  if (opts.output) await writeArchive(box.dir, opts.output);
  return { box, ...(opts.output ? { archive: opts.output } : {}) };
}

/**
 * Prepares a build: checks the host tools (throwing before any work), sweeps dead builds, makes the
 * work folder. The caller runs `steps` in order and always calls `close()`.
 */
export async function openBuild(recipe: BoxRecipe, opts: BuildOptions = {}): Promise<BuildSession> {
  checkHostTools(recipe);
  const loc = opts.loc ?? {};
  await ensureStore(loc);
  await sweepStaleBuilds(loc);
  const work = await mkdtemp(join(storeTmpDir(loc), tempPrefix('build')));
  const started = Date.now();
  const cache = opts.cacheDir ?? (process.env[BUILD_CACHE_ENV] || join(storeRoot(loc), DEB_CACHE_DIR, recipe.architecture));
  await mkdir(cache, { recursive: true, mode: 0o755 });
  const boxDir = opts.keepDir ?? join(work, 'box');
  await mkdir(boxDir, { recursive: true });
  const paths: RootfsPaths = {
    root: join(work, 'root'),
    hook: join(work, 'customize.sh'),
    cache,
    manifest: join(work, 'packages.tsv'),
    extras: join(work, 'extras'),
    ...(recipe.agent ? { agent: join(work, 'agent', 'vm-agent') } : {}),
  };
  const result: BuildResult = { seconds: 0 };
  let child: ChildProcess | undefined;
  let mmdebstrapDone: Promise<void> | undefined;
  let archive: ArchiveState | undefined;
  let epoch = opts.sourceDateEpoch ?? recipe.sourceDateEpoch;
  let kernelVersion = '';
  const files: Record<string, { sha256: string; size: number }> = {};
  // Outside the work folder, so it survives a failed build for reading.
  const logFile = join(storeRoot(loc), BUILD_LOG_DIR, `box-build-${recipe.name}.log`);
  await mkdir(join(storeRoot(loc), BUILD_LOG_DIR), { recursive: true, mode: 0o700 });

  const steps: BuildStep[] = [
    {
      id: 'resolve',
      title: `Resolve ${recipe.base.suite} at ${recipe.base.mirror}`,
      run: async (io) => {
        archive = await fetchRelease(recipe);
        if (!archive.architectures.includes(DEBIAN_ARCH[recipe.architecture])) {
          throw new UserError(`${recipe.base.mirror} ${recipe.base.suite} has no ${DEBIAN_ARCH[recipe.architecture]} packages (it has ${archive.architectures.join(', ')})`);
        }
        epoch ??= archive.epoch;
        io.title(`Resolved ${recipe.base.suite}${archive.version ? ` ${archive.version}` : ''} of ${archive.date} (SOURCE_DATE_EPOCH=${epoch})`);
        if (paths.agent) {
          io.output("building vm's guest agent");
          await buildAgent(recipe, join(work, 'agent'));
        }
        await writeFile(paths.hook, customizeScript(recipe, paths));
      },
    },
    {
      id: 'download',
      title: 'Download packages',
      run: async (io) => {
        const log = createWriteStream(logFile);
        let got = 0;
        let bytes = 0;
        let phase: 'download' | 'configure' = 'download';
        let downloaded!: () => void;
        const downloadDone = new Promise<void>((r) => (downloaded = r));
        const argv = mmdebstrapArgs(recipe, paths);
        // setpriv --pdeathsig: if vm dies (kill -9), mmdebstrap gets SIGTERM and takes its mounts down.
        // Its own process group (detached), so that close() stops apt and dpkg under it too: a
        // signal to mmdebstrap alone waits for them (stopGroup).
        child = spawn('setpriv', ['--pdeathsig', 'TERM', '--', 'mmdebstrap', ...argv], {
          env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch), LC_ALL: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        const tail: string[] = [];
        const onLine = (line: string): void => {
          log.write(`${line}\n`);
          tail.push(line);
          if (tail.length > 40) tail.shift();
          const get = /^Get:(\d+) .*\[([\d.,]+) ([kMG]?B)\]/.exec(line);
          if (get) {
            got = Math.max(got, Number(get[1]));
            bytes += Number(get[2]!.replace(/,/g, '')) * ({ B: 1, kB: 1e3, MB: 1e6, GB: 1e9 } as Record<string, number>)[get[3]!]!;
            io.output(`${got} packages, ${(bytes / 1e6).toFixed(1)} MB`);
          }
          // apt's plan names each .deb it hands to dpkg: the manifest of an extract build, whose
          // dpkg database records nothing.
          if (/ --unpack /.test(line)) for (const deb of line.match(/[^\s/]+\.deb\b/g) ?? []) unpacked.add(deb);
          if (phase === 'download' && /^I: (extracting archives|installing)/.test(line)) {
            phase = 'configure';
            downloaded();
          }
          if (phase === 'configure') configureOutput?.(line);
        };
        for (const stream of [child.stdout!, child.stderr!]) {
          let partial = '';
          stream.setEncoding('utf8');
          stream.on('data', (chunk: string) => {
            const lines = (partial + chunk).split('\n');
            partial = lines.pop()!;
            lines.forEach(onLine);
          });
        }
        mmdebstrapDone = new Promise<void>((resolve, reject) => {
          child!.on('error', (err) => reject(new UserError(`cannot run mmdebstrap: ${err.message}`)));
          child!.on('close', (code, signal) => {
            log.end();
            child = undefined;
            downloaded();
            if (code === 0) resolve();
            else reject(new ExternalError(`mmdebstrap failed${signal ? ` (${signal})` : ''}; the full log was ${logFile}`, ['mmdebstrap', ...argv], code, tail.join('\n')));
          });
        });
        mmdebstrapDone.catch(() => undefined);
        await Promise.race([downloadDone, mmdebstrapDone]);
        io.title(got > 0 ? `Downloaded ${got} packages (${(bytes / 1e6).toFixed(1)} MB)` : 'Downloaded packages (all from the cache)');
      },
    },
    {
      id: 'configure',
      title: 'Configure packages, files and commands',
      run: async (io) => {
        configureOutput = (line) => {
          const m = /^(?:I: |vm-build: )(.*)$/.exec(line);
          if (m) io.output(m[1]!);
        };
        await mmdebstrapDone;
        if (recipe.base.variant === 'extract') {
          // No maintainer scripts ran, so the kernel's postinst never indexed its modules.
          io.output('indexing modules (depmod)');
          await depmod(paths.root, (await findKernel(paths.root)).version);
          io.output('customizing');
          try {
            await run('sh', [paths.hook, paths.root], { maxBuffer: 64 << 20 });
          } catch (err) {
            const e = err as { code?: number; stderr?: string };
            throw new ExternalError('customizing the image failed', ['sh', paths.hook, paths.root], e.code ?? null, e.stderr ?? '');
          }
        }
        // After mmdebstrap's own cleanup, which runs after the hooks and touches folders.
        const clamp = clampTimesArgs(paths.root, epoch!);
        await run('find', clamp, { maxBuffer: 16 << 20 }).catch((e: { code?: number; stderr?: string }) => {
          throw new ExternalError('setting timestamps to SOURCE_DATE_EPOCH failed', ['find', ...clamp], e.code ?? null, e.stderr ?? '');
        });
        const listed = parsePackageManifest(await readFile(paths.manifest, 'utf8'), recipe.architecture);
        const packages = Object.keys(listed).length > 0 ? listed : parsePackageManifest(debsToManifest([...unpacked]), recipe.architecture);
        result.manifest = { packages } as unknown as BoxManifest;
        io.title(`Configured ${Object.keys(result.manifest.packages ?? {}).length} packages`);
      },
    },
    {
      id: 'image',
      title: 'Make the root disk image (mkfs.ext4 -d)',
      run: async (io) => {
        const img = join(boxDir, 'root.img');
        await makeRootImage(paths.root, img, recipe, epoch!, io);
        const sum = await hashFile(img);
        files['root.img'] = sum;
        result.rootImageSha256 = sum.sha256;
        io.title(`Made root.img (${formatMiB(recipe.rootDisk.size)}, sha256 ${sum.sha256.slice(0, 12)}…)`);
      },
    },
    {
      id: 'kernel',
      title: `Copy the kernel from ${recipe.kernel.package}`,
      run: async (io) => {
        const found = await findKernel(paths.root);
        kernelVersion = found.version;
        await copyFile(found.path, join(boxDir, 'Image'));
        files.Image = await hashFile(join(boxDir, 'Image'));
        io.title(`Copied kernel ${kernelVersion}`);
      },
    },
    {
      id: 'initrd',
      title: 'Make the initrd',
      run: async (io) => {
        if (!recipe.initrd) {
          io.title('No initrd (the recipe has none)');
          return;
        }
        let bb = paths.root;
        if (recipe.base.variant !== 'extract') {
          const debs = (await readdir(paths.extras).catch(() => [] as string[])).filter((n) => n.startsWith('busybox-static_') && n.endsWith('.deb'));
          if (debs.length !== 1) throw new UserError(`expected one busybox-static package in ${paths.extras}, found ${debs.length}`);
          bb = join(work, 'busybox');
          await run('dpkg-deb', ['-x', join(paths.extras, debs[0]!), bb]).catch((e: { code?: number; stderr?: string }) => {
            throw new ExternalError('unpacking busybox-static failed', ['dpkg-deb', '-x', debs[0]!, bb], e.code ?? null, e.stderr ?? '');
          });
        }
        const busybox = (await exists(join(bb, 'usr/bin/busybox'))) ? join(bb, 'usr/bin/busybox') : join(bb, 'bin/busybox');
        const modulesDir = (await exists(join(paths.root, 'usr/lib/modules', kernelVersion)))
          ? join(paths.root, 'usr/lib/modules', kernelVersion)
          : join(paths.root, 'lib/modules', kernelVersion);
        const order = await buildInitrd({ modulesDir, modules: recipe.initrd.modules, busybox, workDir: work, out: join(boxDir, 'initrd.gz'), epoch: epoch! });
        files['initrd.gz'] = await hashFile(join(boxDir, 'initrd.gz'));
        io.title(`Made the initrd (${order.length} modules: ${order.map((m) => m.name).join(', ')})`);
      },
    },
    {
      id: 'checksum',
      title: 'Write box.json and add the box to the store',
      run: async (io) => {
        const manifest: BoxManifest = {
          name: recipe.name,
          version: recipe.version,
          ...(recipe.description !== undefined ? { description: recipe.description } : {}),
          architecture: recipe.architecture,
          engines: recipe.engines,
          kernel: 'Image',
          ...(files['initrd.gz'] ? { initrd: 'initrd.gz' } : {}),
          root_disk: { path: 'root.img', format: 'raw' },
          cmdline: recipe.kernel.cmdline,
          ...(Object.keys(result.manifest!.packages!).some((p) => p === 'openssh-server' || p.startsWith('openssh-server:')) ? { ssh: { host_key: OPENSSH_HOST_KEY } } : {}),
          files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))),
          build: {
            recipe_sha256: recipe.hash,
            source_date_epoch: epoch!,
            archive: { mirror: recipe.base.mirror, suite: recipe.base.suite, date: archive!.date, ...(archive!.version ? { version: archive!.version } : {}) },
            kernel_version: kernelVersion,
          },
          packages: result.manifest!.packages!,
        };
        const text = `${JSON.stringify(manifest, null, 2)}\n`;
        await writeFile(join(boxDir, 'box.json'), text);
        result.manifest = manifest;
        result.checksum = createHash('sha256').update(text).digest('hex');
        if (opts.output) {
          io.output(`writing ${opts.output}`);
          await writeArchive(boxDir, opts.output);
          result.archive = opts.output;
        }
        if (!opts.keepDir) {
          io.output('adding to the store');
          result.added = await addBox(boxDir, { loc, force: opts.force, originFrom: recipe.file });
          io.title(`${result.added.replaced ? 'Replaced' : 'Added'} box '${recipe.name}' ${recipe.version} (box.json sha256 ${result.checksum.slice(0, 12)}…)`);
        }
        result.seconds = (Date.now() - started) / 1000;
      },
    },
  ];
  let configureOutput: ((line: string) => void) | undefined;
  const unpacked = new Set<string>();

  let closed = false;
  return {
    steps,
    result,
    close: async () => {
      if (closed) return;
      closed = true;
      if (child?.pid !== undefined && mmdebstrapDone) await stopGroup(child.pid, mmdebstrapDone);
      await removeBuildTree(work);
    },
  };
}

/** How long mmdebstrap's process group has to end after SIGTERM (it takes its mounts down) before SIGKILL. */
const STOP_GRACE_MS = 15_000;

/** Stops the process group led by `pid`: SIGTERM, then SIGKILL to whatever is left after the grace
 *  period. Mounts a killed mmdebstrap left behind are removed with the work folder (removeBuildTree). */
async function stopGroup(pid: number, done: Promise<void>): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone already
    }
  };
  const ended = done.then(
    () => true,
    () => true,
  );
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_GRACE_MS)));
  if (!(await Promise.race([ended, graceOver]))) {
    signal('SIGKILL');
    await ended;
  }
  clearTimeout(timer);
}

async function fetchRelease(recipe: BoxRecipe): Promise<ArchiveState> {
  const url = `${recipe.base.mirror}/dists/${recipe.base.suite}/InRelease`;
  let text: string;
  try {
    if (url.startsWith('file:')) text = readFileSync(new URL(url), 'utf8');
    else {
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new UserError(`${url}: HTTP ${res.status}${res.status === 404 ? ` (is '${recipe.base.suite}' a suite of this archive?)` : ''}`);
      text = await res.text();
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot reach the archive: ${url}: ${(err as Error).message}`, { hint: 'check base.mirror and the network' });
  }
  return parseRelease(text);
}

/** Builds agent/ with its Makefile for the guest architecture into `out`/vm-agent. */
async function buildAgent(recipe: BoxRecipe, out: string): Promise<void> {
  const cc = hostArch() === recipe.architecture ? 'cc' : AGENT_COMPILERS[recipe.architecture].program;
  const argv = ['-C', join(packageRoot(), 'agent'), 'agent', `CC=${cc}`, `OUT=${out}`];
  try {
    await run('make', argv, { maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    throw new ExternalError("building vm's guest agent failed", ['make', ...argv], e.code ?? null, e.stderr ?? '');
  }
}

/**
 * depmod -b ROOT for a tree whose modules are in usr/lib/modules: the host's depmod may look only in
 * ROOT/lib/modules, which a merged-/usr tree reaches through the lib -> usr/lib link (made for the
 * run when base-files was not unpacked to make it).
 */
async function depmod(root: string, version: string): Promise<void> {
  const link = join(root, 'lib');
  const made = !(await exists(link)) && (await exists(join(root, 'usr/lib/modules')));
  if (made) await symlink('usr/lib', link);
  const argv = ['-b', root, version];
  try {
    await run('depmod', argv, { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    throw new ExternalError('depmod failed', ['depmod', ...argv], e.code ?? null, e.stderr ?? '');
  } finally {
    if (made) await rm(link, { force: true });
  }
}

/**
 * The newest /boot/vmlinu[xz]-VERSION in the tree: riscv64 Debian ships an uncompressed Image as
 * vmlinux-*, amd64 a bzImage as vmlinuz-*; both are what qemu's -kernel and the box's `kernel` take.
 */
async function findKernel(root: string): Promise<{ path: string; version: string }> {
  const names = (await readdir(join(root, 'boot')).catch(() => [] as string[])).filter((n) => /^vmlinu[xz]-/.test(n)).sort();
  const name = names.at(-1);
  if (!name) throw new UserError(`the image has no kernel in /boot: does the kernel package install one?`);
  return { path: join(root, 'boot', name), version: name.replace(/^vmlinu[xz]-/, '') };
}

/**
 * mkfs.ext4 -d with everything that would differ between two builds pinned: the UUID and hash seed
 * (derived from the recipe's name and version), the file system's own timestamps (E2FSPROGS_FAKE_TIME),
 * and, in a second pass with debugfs, every inode's ctime and atime, which mke2fs copies from the
 * host (a host file's ctime cannot be set).
 */
async function makeRootImage(root: string, img: string, recipe: BoxRecipe, epoch: number, io: BuildStepIO): Promise<void> {
  const uuid = uuidFrom(`${recipe.name}\u0000${recipe.version}`);
  const env = { ...process.env, E2FSPROGS_FAKE_TIME: String(epoch), LC_ALL: 'C', PATH: `${process.env.PATH}:/usr/sbin:/sbin` };
  const mkfs = ['-q', '-F', '-t', 'ext4', '-b', '4096', '-L', recipe.rootDisk.label, '-U', uuid, '-E', `hash_seed=${uuid},root_owner=0:0`, '-d', root, img, `${recipe.rootDisk.size / 1024}k`];
  try {
    await run('mkfs.ext4', mkfs, { env, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    const full = /No space left|Could not allocate block|too small/i.test(e.stderr ?? '');
    throw new ExternalError(full ? `the root file system does not fit in root_disk.size ${formatMiB(recipe.rootDisk.size)}` : 'mkfs.ext4 failed', ['mkfs.ext4', ...mkfs], e.code ?? null, e.stderr ?? '');
  }
  io.output('setting timestamps');
  const script = join(root, '..', 'debugfs-times');
  const paths = await treePaths(root);
  const quote = (p: string): string => `"${p.replace(/(["\\])/g, '\\$1')}"`;
  await writeFile(script, paths.flatMap((p) => [`sif ${quote(p)} ctime @${epoch}`, `sif ${quote(p)} atime @${epoch}`]).join('\n') + '\n');
  try {
    await run('debugfs', ['-w', '-f', script, img], { env, maxBuffer: 256 << 20 });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    throw new ExternalError('debugfs failed', ['debugfs', '-w', '-f', script, img], e.code ?? null, e.stderr ?? '');
  }
}

/** '/', then every path in the tree, as the image sees them (no crossing into other mounts). */
async function treePaths(root: string): Promise<string[]> {
  const out = ['/'];
  const rootDev = (await stat(root)).dev;
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = `${rel}/${e.name}`;
      out.push(p);
      if (e.isDirectory() && (await stat(join(root, p))).dev === rootDev) await walk(p);
    }
  };
  await walk('');
  return out;
}

/** A version-4-shaped UUID from a hash: the same recipe always gets the same file system UUID. */
export function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

/**
 * A .box archive as boxes/README.md describes: box.json first, sorted, owner 0, mtime 0, gzip -n.
 * Not --sparse: vm's tar reader takes plain members only (zeros compress, and it writes them back as holes).
 */
async function writeArchive(boxDir: string, out: string): Promise<void> {
  const tmp = `${out}.${process.pid}.tmp`;
  // A stored box's folder also holds the store's own note of where it came from: not part of the box.
  const argv = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', boxDir, '-czf', tmp, 'box.json', '--exclude=./box.json', `--exclude=./${BOX_ORIGIN_FILE}`, '.'];
  try {
    await run('tar', argv, { env: { ...process.env, GZIP: '-n' } });
  } catch (err) {
    await rm(tmp, { force: true });
    const e = err as { code?: number; stderr?: string };
    throw new ExternalError('writing the .box archive failed', ['tar', ...argv], e.code ?? null, e.stderr ?? '');
  }
  const { rename } = await import('node:fs/promises');
  await rename(tmp, out);
}

const formatMiB = (bytes: number): string => (bytes % (1 << 30) === 0 ? `${bytes / (1 << 30)} GiB` : `${Math.round(bytes / (1 << 20))} MiB`);

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Mount points under `dir` (from /proc/self/mountinfo), deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return info
    .split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes a build's work folder: first anything still mounted inside it (a build killed while
 * mmdebstrap had /proc or /dev mounted in the tree), so the delete never walks into a host file system.
 */
export async function removeBuildTree(dir: string): Promise<void> {
  for (const m of await mountsUnder(dir)) await run('umount', ['-l', m]).catch(() => undefined);
  if ((await mountsUnder(dir)).length > 0) throw new UserError(`${dir} still has file systems mounted in it; unmount them, then remove it`);
  await rm(dir, { recursive: true, force: true });
}

/** Work folders of builds whose process is gone (SIGKILL, power loss): unmounted and removed. */
export async function sweepStaleBuilds(loc: StoreLocation = {}): Promise<string[]> {
  const tmp = storeTmpDir(loc);
  const boot = currentBootId().replace(/-/g, '').slice(0, 8) || 'noboot';
  const removed: string[] = [];
  for (const n of await readdir(tmp).catch(() => [] as string[])) {
    const m = BUILD_TEMP.exec(n);
    if (!m) continue;
    if (m[2] === boot && isAlive({ pid: Number(m[1]), bootId: '' })) continue;
    await removeBuildTree(join(tmp, n));
    removed.push(n);
  }
  return removed;
}
