// `vm cp`: files and folder trees between the host and a guest through the guest agent. Contents go
// through the agent's file transfer (FILE_WRITE lands atomically with its mode; FILE_READ streams);
// what the file transfer does not do (list a folder, make folders and symlinks, set a folder's
// mode) runs as small argv commands through the agent, never a shell line built from user paths.
// Semantics follow cp -r: into an existing folder the source keeps its name, otherwise it becomes
// the destination. Symlinks inside a tree are copied as symlinks; other special files are skipped.
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readlink, rename, rm, stat, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AgentError, type AgentClient } from '../../agent/index.js';
import { UserError } from '../../errors.js';
import { exitCodeOf } from '../../provision/provision-error.js';
import { withAgent } from './agent.js';
import { requireRunning, selectOne } from '../select.js';

/** One side of a copy: a host path, or `NAME:PATH` in a guest (`:PATH` = the only or primary machine). */
export type CopyEndpoint = { kind: 'host'; path: string } | { kind: 'guest'; machine?: string; path: string };

/** Relative guest paths start here: the agent runs commands as root. */
export const GUEST_HOME = '/root';

/** `web:/srv` or `:/srv` is a guest path; a host path with a colon can be written `./a:b`. */
export function parseEndpoint(arg: string): CopyEndpoint {
  const m = /^([A-Za-z0-9][A-Za-z0-9_-]{0,62})?:(.*)$/s.exec(arg);
  if (!m) return { kind: 'host', path: arg };
  const path = m[2]!;
  if (path === '') throw new UserError(`${JSON.stringify(arg)} names no path in the guest`, { hint: `for example ${m[1] ?? ''}:/root/file` });
  return { kind: 'guest', ...(m[1] ? { machine: m[1] } : {}), path: posix.resolve(GUEST_HOME, path) };
}

export interface CopyProgress {
  /** Bytes of file content copied so far, of `total`. */
  done: number;
  total: number;
}

export interface CopySummary {
  files: number;
  folders: number;
  symlinks: number;
  bytes: number;
  /** Where the source landed. */
  target: string;
  /** Entries not copied (sockets, FIFOs, devices), with why. */
  skipped: string[];
}

type Entry =
  | { type: 'dir'; rel: string; mode: number }
  | { type: 'file'; rel: string; mode: number; size: number }
  | { type: 'link'; rel: string; target: string }
  | { type: 'other'; rel: string };

// Limits of one EXEC request (agent/PROTOCOL.md): a frame of 64 KiB, lists of 4096 items.
const BATCH_BYTES = 48 * 1024;
const BATCH_ITEMS = 2000;

/** Runs `script` with `args` as $1.. in batches that each fit one request; `per` args belong together. */
async function runBatched(agent: AgentClient, script: string, args: string[], per: number, what: string): Promise<void> {
  for (let i = 0; i < args.length; ) {
    const batch: string[] = [];
    let bytes = 0;
    while (i < args.length && batch.length + per <= BATCH_ITEMS) {
      const group = args.slice(i, i + per);
      const size = group.reduce((n, a) => n + Buffer.byteLength(a) + 4, 0);
      if (batch.length > 0 && bytes + size > BATCH_BYTES) break;
      batch.push(...group);
      bytes += size;
      i += per;
    }
    const r = await agent.run({ argv: ['/bin/sh', '-c', script, 'sh', ...batch] });
    if (exitCodeOf(r.status) !== 0) {
      throw new UserError(`${what} in the guest failed: ${r.stderr.toString('utf8').trim() || `exit status ${exitCodeOf(r.status)}`}`);
    }
  }
}

/** What is at a guest path: a folder, something else, or nothing. */
async function guestKind(agent: AgentClient, path: string): Promise<'dir' | 'other' | 'none'> {
  const r = await agent.run({ argv: ['/bin/sh', '-c', 'if [ -d "$1" ]; then echo dir; elif [ -e "$1" ] || [ -L "$1" ]; then echo other; else echo none; fi', 'sh', path] });
  const out = r.stdout.toString('utf8').trim();
  if (out !== 'dir' && out !== 'other' && out !== 'none') throw new UserError(`could not inspect ${path} in the guest: ${r.stderr.toString('utf8').trim()}`);
  return out;
}

async function hostKind(path: string): Promise<'dir' | 'other' | 'none'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'none';
  }
}

/** The host tree under `root` (the root itself first, as ''): lstat inside, so links stay links. */
async function walkHost(root: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (rel: string, top: boolean): Promise<void> => {
    const abs = rel === '' ? root : join(root, rel);
    const st = top ? await stat(abs) : await lstat(abs);
    if (st.isSymbolicLink()) out.push({ type: 'link', rel, target: await readlink(abs) });
    else if (st.isFile()) out.push({ type: 'file', rel, mode: st.mode & 0o7777, size: st.size });
    else if (st.isDirectory()) {
      out.push({ type: 'dir', rel, mode: st.mode & 0o7777 });
      for (const name of (await readdir(abs)).sort()) await visit(rel === '' ? name : `${rel}/${name}`, false);
    } else out.push({ type: 'other', rel });
  };
  await visit('', true);
  return out;
}

// Lists a guest tree as NUL-separated records (names may hold any byte but NUL, newlines included):
// `r` ROOT first (the path given, a symlink followed as cp follows its arguments), then
// `d MODE` PATH | `f MODE SIZE` PATH | `l` PATH TARGET | `o` PATH. busybox find, stat, readlink.
const LIST_SCRIPT = `[ -e "$1" ] || [ -L "$1" ] || { echo "$1: no such file or folder" >&2; exit 2; }
[ -L "$1" ] && [ -e "$1" ] && set -- "$(readlink -f "$1")"
printf "r\\0%s\\0" "$1"
find "$1" -exec sh -c '
for f do
  if [ -L "$f" ]; then printf "l\\0%s\\0%s\\0" "$f" "$(readlink "$f")"
  elif [ -d "$f" ]; then printf "d %s\\0%s\\0" "$(stat -c %a "$f")" "$f"
  elif [ -f "$f" ]; then printf "f %s\\0%s\\0" "$(stat -c "%a %s" "$f")" "$f"
  else printf "o\\0%s\\0" "$f"
  fi
done' sh {} +`;

/** The tree at `src` in the guest, and the path it was listed at (`src`, or where a symlink leads). */
async function walkGuest(agent: AgentClient, src: string): Promise<{ root: string; entries: Entry[] }> {
  const r = await agent.run({ argv: ['/bin/sh', '-c', LIST_SCRIPT, 'sh', src] });
  if (exitCodeOf(r.status) !== 0) {
    throw new UserError(`cannot copy ${src} from the guest: ${r.stderr.toString('utf8').trim() || `listing it failed (exit status ${exitCodeOf(r.status)})`}`);
  }
  const parts = r.stdout.toString('utf8').split('\0');
  if (parts[0] !== 'r' || parts.length < 2) throw new UserError(`could not read the listing of ${src} in the guest`);
  const root = parts[1]!;
  parts.splice(0, 2);
  const out: Entry[] = [];
  const relOf = (p: string): string => {
    if (p === root) return '';
    if (!p.startsWith(`${root.replace(/\/$/, '')}/`)) throw new UserError(`the guest listed ${JSON.stringify(p)}, which is not under ${root}`);
    return p.slice(root.replace(/\/$/, '').length + 1);
  };
  for (let i = 0; i < parts.length - 1; ) {
    const head = parts[i++]!;
    const path = parts[i++]!;
    const rel = relOf(path);
    if (head === 'l') out.push({ type: 'link', rel, target: parts[i++] ?? '' });
    else if (head === 'o') out.push({ type: 'other', rel });
    else {
      const [kind, mode, size] = head.split(' ');
      const m = Number.parseInt(mode ?? '', 8);
      if (!Number.isInteger(m)) throw new UserError(`could not read the listing of ${root} in the guest (record ${JSON.stringify(head)})`);
      if (kind === 'd') out.push({ type: 'dir', rel, mode: m });
      else out.push({ type: 'file', rel, mode: m, size: Number(size) });
    }
  }
  // find lists a folder before its contents; the root comes first.
  return { root, entries: out };
}

const summaryOf = (entries: Entry[], target: string, skipped: string[]): CopySummary => ({
  files: entries.filter((e) => e.type === 'file').length,
  folders: entries.filter((e) => e.type === 'dir').length,
  symlinks: entries.filter((e) => e.type === 'link').length,
  bytes: entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0),
  target,
  skipped,
});

const octal = (mode: number): string => mode.toString(8);

/** Copies a host file or folder into the guest. */
export async function copyToGuest(agent: AgentClient, src: string, dest: string, onProgress?: (p: CopyProgress) => void): Promise<CopySummary> {
  const from = resolve(src);
  if ((await hostKind(from)) === 'none') throw new UserError(`${src}: no such file or folder on the host`);
  const entries = await walkHost(from);
  const top = entries[0]!;
  const destKind = await guestKind(agent, dest);
  const into = destKind === 'dir' || (destKind === 'none' && dest.endsWith('/'));
  const target = into ? posix.join(dest, basename(from)) : posix.resolve(dest);
  if (top.type === 'dir' && !into && destKind === 'other') throw new UserError(`cannot copy the folder ${src} over ${dest} in the guest: it is not a folder`);
  const at = (rel: string): string => (rel === '' ? target : posix.join(target, rel));
  const skipped = entries.filter((e) => e.type === 'other').map((e) => `${join(from, e.rel)}: not a file, folder or symlink`);

  const dirs = entries.filter((e): e is Extract<Entry, { type: 'dir' }> => e.type === 'dir');
  if (into && destKind === 'none') await runBatched(agent, 'mkdir -p "$1"', [dest], 1, `creating ${dest}`);
  await runBatched(agent, 'for d do mkdir -p "$d" || exit 1; done', dirs.map((d) => at(d.rel)), 1, 'creating folders');
  const total = entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0);
  let done = 0;
  onProgress?.({ done, total });
  for (const e of entries) {
    if (e.type !== 'file') continue;
    const stream = createReadStream(e.rel === '' ? from : join(from, e.rel));
    stream.on('data', (c) => {
      done += c.length;
      onProgress?.({ done, total });
    });
    await agent.writeFile(at(e.rel), stream as AsyncIterable<Uint8Array>, { mode: e.mode, mkdirs: true }).catch((err: unknown) => {
      throw err instanceof AgentError ? new UserError(`copying ${join(from, e.rel)} to ${at(e.rel)}: ${err.message}`) : err;
    });
  }
  const links = entries.filter((e): e is Extract<Entry, { type: 'link' }> => e.type === 'link');
  await runBatched(agent, 'while [ $# -gt 0 ]; do rm -f "$2"; ln -s "$1" "$2" || exit 1; shift 2; done', links.flatMap((l) => [l.target, at(l.rel)]), 2, 'creating symlinks');
  // Folder modes last, deepest first: a read-only folder would have refused its own contents.
  const modes = [...dirs].reverse().flatMap((d) => [octal(d.mode), at(d.rel)]);
  await runBatched(agent, 'while [ $# -gt 0 ]; do chmod "$1" "$2" || exit 1; shift 2; done', modes, 2, 'setting folder modes');
  return summaryOf(entries, target, skipped);
}

/** Copies a guest file or folder to the host; files land whole (temp file, then rename). */
export async function copyFromGuest(agent: AgentClient, src: string, dest: string, onProgress?: (p: CopyProgress) => void): Promise<CopySummary> {
  const { root, entries } = await walkGuest(agent, src);
  if (entries.length === 0) throw new UserError(`cannot copy ${src} from the guest: it lists as empty`);
  const top = entries[0]!;
  const destPath = resolve(dest);
  const destKind = await hostKind(destPath);
  const into = destKind === 'dir' || (destKind === 'none' && (dest.endsWith('/') || dest.endsWith(sep)));
  const target = into ? join(destPath, posix.basename(src)) : destPath;
  if (top.type === 'dir' && !into && destKind === 'other') throw new UserError(`cannot copy the folder ${src} over ${dest}: it is not a folder`);
  const at = (rel: string): string => (rel === '' ? target : join(target, ...rel.split('/')));
  // A guest name such as `..` must not lead outside the target.
  for (const e of entries) {
    const r = relative(target, at(e.rel));
    if (r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) throw new UserError(`the guest listed ${JSON.stringify(e.rel)} under ${src}, which would land outside ${target}`);
  }
  const skipped = entries.filter((e) => e.type === 'other').map((e) => `${posix.join(src, e.rel)}: not a file, folder or symlink`);
  if (into && destKind === 'none') await mkdir(destPath, { recursive: true });
  const dirs = entries.filter((e): e is Extract<Entry, { type: 'dir' }> => e.type === 'dir');
  // Writable by us until the end, whatever their final mode.
  for (const d of dirs) await mkdir(at(d.rel), { recursive: true, mode: 0o700 });
  const total = entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0);
  let done = 0;
  onProgress?.({ done, total });
  for (const e of entries) {
    if (e.type === 'file') {
      const final = at(e.rel);
      const temp = join(dirname(final), `.${basename(final)}.vm-cp-${randomBytes(4).toString('hex')}`);
      const fh = await open(temp, 'wx', 0o600);
      try {
        const info = await agent
          .streamFile(e.rel === '' ? root : posix.join(root, e.rel), {
            chunk: async (bytes) => {
              await fh.write(bytes);
              done += bytes.length;
              onProgress?.({ done, total });
            },
          })
          .catch((err: unknown) => {
            throw err instanceof AgentError ? new UserError(`copying ${posix.join(src, e.rel)} from the guest: ${err.message}`) : err;
          });
        await fh.close();
        await chmod(temp, info.mode);
        await utimes(temp, info.mtime, info.mtime);
        await rename(temp, final);
      } catch (err) {
        await fh.close().catch(() => undefined);
        await rm(temp, { force: true });
        throw err;
      }
    } else if (e.type === 'link') {
      await rm(at(e.rel), { force: true });
      await symlink(e.target, at(e.rel));
    }
  }
  for (const d of [...dirs].reverse()) await chmod(at(d.rel), d.mode);
  return summaryOf(entries, target, skipped);
}

export interface CopyRequest {
  file?: string;
  cwd?: string;
  src: string;
  dest: string;
  onProgress?: (p: CopyProgress) => void;
}

/** How long `vm cp` waits for the agent of a running machine (it may still be booting). */
const AGENT_WAIT_MS = 30_000;

/** `vm cp SRC DEST`: exactly one side is `NAME:PATH`; that machine must be running. */
export async function copyFiles(o: CopyRequest): Promise<CopySummary & { machine: string; direction: 'to guest' | 'from guest' }> {
  const [src, dest] = [parseEndpoint(o.src), parseEndpoint(o.dest)];
  if (src.kind === dest.kind) {
    throw new UserError(src.kind === 'host' ? 'one side of `vm cp` must be in a machine: NAME:PATH' : '`vm cp` copies between the host and a machine, not between two machines', {
      hint: 'for example: vm cp ./site web:/srv/www, or vm cp web:/var/log/app.log .',
    });
  }
  const guest = src.kind === 'guest' ? src : (dest as Extract<CopyEndpoint, { kind: 'guest' }>);
  const { sel, config } = await selectOne({ file: o.file, name: guest.machine, cwd: o.cwd, command: 'vm cp' });
  const m = await requireRunning(sel.dir, config);
  return withAgent(config.name, m.paths, AGENT_WAIT_MS, async (agent) => {
    const summary =
      src.kind === 'host' ? await copyToGuest(agent, src.path, guest.path, o.onProgress) : await copyFromGuest(agent, guest.path, (dest as { path: string }).path, o.onProgress);
    return { ...summary, machine: config.name, direction: src.kind === 'host' ? ('to guest' as const) : ('from guest' as const) };
  });
}
