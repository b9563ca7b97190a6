// The layers under one of a machine's disks (its root disk, each extra disk), for snapshots that
// cost only what changed since. The writable top keeps its fixed name (root.overlay for builtin,
// qemu-root.qcow2 for qemu; an extra disk's beside its file) so an engine always opens the same file;
// below it, frozen read-only layers in the same folder named `<stem>.<id><ext>`, each the top as it
// was when a snapshot froze it. Which layer lies on which is written down in `<stem>.chain.json`
// beside them; layers form a tree (a restore starts a new top on an older layer while later
// snapshots keep theirs), and below them all is the box's image (root disk), the extra disk's raw
// file (builtin) or nothing (qemu's extra disks).
//
// Crash safety: the manifest is the one truth, replaced whole (temp file, fsync, rename, fsync of
// the folder), so it is either the old description or the new. Each step that must touch files and
// the manifest together writes its intent into the new manifest before the file step, and every
// operation starts by finishing an intent left by a crash (`recover`): rolling forward, since at
// the moment the intent was written the files for the new state were all durable already:
// - swap-top: the new top, made and synced under a temporary name, is renamed over the top;
// - merge: a layer's blocks are copied into its only child (the engine's `absorb`, idempotent and
//   invisible to the child's readers) before the layer is taken out of the chain.
// Files that no manifest names (a layer link or a new top made before a crash) are deleted.
//
// Depth: each snapshot adds a layer under the top and every layer costs a lookup on a read that
// misses above it. Layers no snapshot keeps are collapsed (dropped when nothing lies on them,
// merged into their child when exactly one does); a save that would stack more than MAX_CHAIN_DEPTH
// kept layers is refused with a hint to delete snapshots.
import { randomBytes } from 'node:crypto';
import { constants as C } from 'node:fs';
import { link, lstat, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDir } from './atomic-file.js';
import { copySparse } from './sparse-copy.js';

/** Most frozen layers that may lie under a machine's top. */
export const MAX_CHAIN_DEPTH = 32;
export const CHAIN_FORMAT = 'vm-disk-chain';
export const CHAIN_VERSION = 1;

export interface ChainLayer {
  /** The layer it lies on; null: the box's image. */
  parent: string | null;
  createdAt: string;
}

export type ChainIntent = { kind: 'swap-top'; tmp: string } | { kind: 'merge'; layer: string; into: string };

export interface ChainManifest {
  format: typeof CHAIN_FORMAT;
  version: typeof CHAIN_VERSION;
  layers: Record<string, ChainLayer>;
  /** What the writable top lies on. */
  top: { parent: string | null };
  intent?: ChainIntent;
}

/** The child a layer can have that is not a layer. */
export const TOP = 'top';

/** What a chain needs from its engine's disk format. */
export interface LayerOps {
  /** Make an empty layer at `path` (which does not exist) on `parentPath` (null: the box's image), synced. */
  createEmpty(path: string, parentPath: string | null): Promise<void>;
  /**
   * Copy into `childPath` the blocks `layerPath` holds and the child does not, and where the format
   * records what an image lies on, make the child lie on `parentPath` (null: the box's image). The
   * child must read the same throughout; running it twice does no harm.
   */
  absorb(childPath: string, layerPath: string, parentPath: string | null): Promise<void>;
  /**
   * For a disk that is written in place until its first snapshot (an extra disk): make the top, empty,
   * on that file, which from then on is the image below every layer and never written again. A
   * chain without it (the root disk) always has its top.
   */
  startTop?(topPath: string): Promise<void>;
}

/** A chain that cannot be used as asked; the message says why, the hint what to do. */
export class DiskChainError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'DiskChainError';
  }
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A fresh layer id: sorts by creation time. */
export function newLayerId(now = Date.now()): string {
  return `l${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

export class DiskChain {
  readonly dir: string;
  readonly manifestPath: string;
  private readonly stem: string;
  private readonly ext: string;

  /** `topPath`: the writable top, `<stem><ext>`, e.g. /…/root.overlay. */
  constructor(
    readonly topPath: string,
    private readonly ops: LayerOps,
    private readonly o: {
      maxDepth?: number;
      /** Called between the steps of an operation (tests stop there to stand for a crash). */
      step?: (name: string) => void;
      /** What the disk is called in messages. */
      label?: string;
    } = {},
  ) {
    this.dir = dirname(topPath);
    const name = basename(topPath);
    const dot = name.lastIndexOf('.');
    this.stem = dot > 0 ? name.slice(0, dot) : name;
    this.ext = dot > 0 ? name.slice(dot) : '';
    this.manifestPath = join(this.dir, `${this.stem}.chain.json`);
  }

  get label(): string {
    return this.o.label ?? 'the root disk';
  }

  /** Whether the top exists (a disk written in place until its first snapshot has none). */
  async layered(): Promise<boolean> {
    return (await lstat(this.topPath).catch(() => undefined)) !== undefined;
  }

  layerPath(id: string): string {
    if (!ID.test(id)) throw new DiskChainError(`'${id}' is not a disk layer id`);
    return join(this.dir, `${this.stem}.${id}${this.ext}`);
  }

  private pathOf(id: string | null): string | null {
    return id === null ? null : this.layerPath(id);
  }

  /** The manifest; a machine that never had a snapshot has none: its top lies on the box's image. */
  async load(): Promise<ChainManifest> {
    let text: string;
    try {
      text = await readFile(this.manifestPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { format: CHAIN_FORMAT, version: CHAIN_VERSION, layers: {}, top: { parent: null } };
      throw new DiskChainError(`cannot read the disk chain ${this.manifestPath}: ${(err as Error).message}`);
    }
    return checkManifest(text, this.manifestPath);
  }

  /** Replace the manifest whole: a crash leaves the old one or this one. */
  private async commit(m: ChainManifest): Promise<void> {
    const tmp = `${this.manifestPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fh = await open(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(m, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.manifestPath);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await syncDir(this.dir);
  }

  /** Frozen layers from the top's parent down to the lowest, ids. */
  async lowerIds(): Promise<string[]> {
    return lineage(await this.load(), TOP);
  }

  /** The files under the top, nearest first (for an engine that opens the layers itself). */
  async lowerFiles(): Promise<string[]> {
    return (await this.lowerIds()).map((id) => this.layerPath(id));
  }

  /** Finish what a crash interrupted, then delete files no manifest names. */
  async recover(): Promise<ChainManifest> {
    let m = await this.load();
    if (m.intent?.kind === 'swap-top') {
      const tmp = join(this.dir, m.intent.tmp);
      // The new top was synced before the intent was written: if it is gone, the rename happened.
      try {
        await rename(tmp, this.topPath);
        await syncDir(this.dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      m = { ...m, intent: undefined };
      await this.commit(m);
    } else if (m.intent?.kind === 'merge') {
      m = await this.finishMerge(m, m.intent.layer, m.intent.into);
    }
    await this.sweep(m);
    return m;
  }

  /** Delete layer files and temporary tops this manifest does not name. */
  private async sweep(m: ChainManifest): Promise<void> {
    const prefix = `${this.stem}.`;
    const topName = basename(this.topPath);
    for (const f of await readdir(this.dir).catch(() => [] as string[])) {
      let stray = false;
      if (f.startsWith(`.${topName}.new-`)) stray = m.intent?.kind !== 'swap-top' || m.intent.tmp !== f;
      else if (f.startsWith(prefix) && f.endsWith(this.ext) && f !== topName) {
        const id = f.slice(prefix.length, f.length - this.ext.length);
        stray = ID.test(id) && !(id in m.layers) && id !== 'chain';
      }
      if (stray) await unlink(join(this.dir, f)).catch(() => {});
    }
  }

  /** Make a new empty top on `parent` under a temporary name; returns its name in the folder. */
  private async makeTop(parent: string | null): Promise<string> {
    const tmpName = `.${basename(this.topPath)}.new-${randomBytes(6).toString('hex')}`;
    await this.ops.createEmpty(join(this.dir, tmpName), this.pathOf(parent));
    return tmpName;
  }

  /** Commit `m` with the top swapped to the synced file `tmpName`, do the rename, clear the intent. */
  private async swapTop(m: ChainManifest, tmpName: string, after?: () => void): Promise<ChainManifest> {
    this.o.step?.('top-made');
    await this.commit({ ...m, intent: { kind: 'swap-top', tmp: tmpName } });
    this.o.step?.('swap-committed');
    await rename(join(this.dir, tmpName), this.topPath);
    await syncDir(this.dir);
    after?.();
    this.o.step?.('top-swapped');
    const done = { ...m, intent: undefined };
    await this.commit(done);
    return done;
  }

  /**
   * Freeze the top as layer `id` and start an empty top on it. `live`, for an engine that has the
   * top open: `open(newTopFile)` opens the new top before anything is committed (it may fail, and
   * nothing changes), `switched()` runs once the new top is in place under its name (it must not fail).
   */
  async freeze(id: string, live?: { open(newTopFile: string): Promise<void>; switched(): void; abandon(): Promise<void> }): Promise<ChainManifest> {
    const m = await this.recover();
    if (id in m.layers) throw new DiskChainError(`${this.label} already has a layer '${id}'`);
    this.checkRoom(m);
    // A live engine started the top itself (it has the disk open).
    if (!live && this.ops.startTop && !(await this.layered())) await this.ops.startTop(this.topPath);
    const layerFile = this.layerPath(id);
    // The top's file becomes the layer under a second name; the new top replaces the first name.
    await link(this.topPath, layerFile);
    this.o.step?.('linked');
    let tmpName: string | undefined;
    let opened = false;
    try {
      await syncDir(this.dir);
      tmpName = await this.makeTop(id);
      if (live) {
        await live.open(join(this.dir, tmpName));
        opened = true;
      }
    } catch (err) {
      if (opened) await live!.abandon().catch(() => {});
      if (tmpName) await unlink(join(this.dir, tmpName)).catch(() => {});
      await unlink(layerFile).catch(() => {});
      throw err;
    }
    const next: ChainManifest = { ...m, layers: { ...m.layers, [id]: { parent: m.top.parent, createdAt: new Date().toISOString() } }, top: { parent: id } };
    return this.swapTop(next, tmpName, live ? () => live.switched() : undefined);
  }

  /** Refuses when one more layer under the top would pass the depth bound. */
  checkRoom(m: ChainManifest): void {
    const depth = lineage(m, TOP).length;
    const max = this.o.maxDepth ?? MAX_CHAIN_DEPTH;
    if (depth + 1 > max) {
      throw new DiskChainError(`${this.label} already lies on ${depth} snapshot layers, the most vm stacks`, 'delete snapshots you no longer need (`vm snapshot delete`), then save again');
    }
  }

  /** Drop the top (its writes are discarded) and start an empty one on layer `id`. */
  async restore(id: string): Promise<ChainManifest> {
    const m = await this.recover();
    if (!(id in m.layers)) throw new DiskChainError(`${this.label} has no layer '${id}'`, 'the snapshot is damaged; delete it');
    const tmpName = await this.makeTop(id);
    return this.swapTop({ ...m, top: { parent: id } }, tmpName);
  }

  /**
   * Make the overlay file `file` (a full copy made by an older vm, lying on the box's image) the
   * top, dropping the current one. `file` is moved, not copied.
   */
  async adoptTop(file: string): Promise<ChainManifest> {
    const m = await this.recover();
    const tmpName = `.${basename(this.topPath)}.new-${randomBytes(6).toString('hex')}`;
    await rename(file, join(this.dir, tmpName));
    return this.swapTop({ ...m, top: { parent: null } }, tmpName);
  }

  /**
   * Start a new machine's chain on a frozen overlay made elsewhere (a warm image's root disk layer,
   * engines/builtin/warm/): `file` becomes layer `id` under a second name (a hard link, so the bytes
   * are shared, never written: a layer is only read, and a merge copies out of it), or a sparse copy
   * when it lies on another file system; an empty top is made on it. Only for a chain with no top yet.
   */
  async adoptLayer(id: string, file: string): Promise<ChainManifest> {
    const m = await this.recover();
    if (Object.keys(m.layers).length > 0 || m.top.parent !== null) throw new DiskChainError(`the disk chain ${this.manifestPath} is not empty`);
    const layerFile = this.layerPath(id);
    try {
      await link(file, layerFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copySparse(file, layerFile);
    }
    let tmpName: string | undefined;
    try {
      await syncDir(this.dir);
      tmpName = await this.makeTop(id);
    } catch (err) {
      if (tmpName) await unlink(join(this.dir, tmpName)).catch(() => {});
      await unlink(layerFile).catch(() => {});
      throw err;
    }
    // Until this commit the layer and the new top are strays that `recover` deletes.
    return this.swapTop({ ...m, layers: { [id]: { parent: null, createdAt: new Date().toISOString() } }, top: { parent: id } }, tmpName);
  }

  /**
   * Take out layers no snapshot keeps: dropped when nothing lies on them, merged into their child
   * when one thing does (not while `busy`, when the machine runs and has the files open: then only
   * dropping). Layers with two or more children stay until they have fewer.
   */
  async collapse(keep: ReadonlySet<string>, o: { busy?: boolean } = {}): Promise<ChainManifest> {
    let m = await this.recover();
    for (;;) {
      const kids = children(m);
      const drop = Object.keys(m.layers).find((id) => !keep.has(id) && (kids.get(id)?.length ?? 0) === 0);
      if (drop) {
        const { [drop]: _, ...layers } = m.layers;
        m = { ...m, layers };
        await this.commit(m);
        this.o.step?.('drop-committed');
        await unlink(this.layerPath(drop)).catch(() => {});
        continue;
      }
      if (o.busy) break;
      const merge = Object.keys(m.layers).find((id) => !keep.has(id) && kids.get(id)?.length === 1);
      if (!merge) break;
      const into = kids.get(merge)![0]!;
      m = { ...m, intent: { kind: 'merge', layer: merge, into } };
      await this.commit(m);
      this.o.step?.('merge-committed');
      m = await this.finishMerge(m, merge, into);
    }
    await this.sweep(m);
    return m;
  }

  private async finishMerge(m: ChainManifest, id: string, into: string): Promise<ChainManifest> {
    const layer = m.layers[id];
    if (!layer) throw new DiskChainError(`the disk chain ${this.manifestPath} names a merge of a layer it does not have`);
    await this.ops.absorb(into === TOP ? this.topPath : this.layerPath(into), this.layerPath(id), this.pathOf(layer.parent));
    this.o.step?.('absorbed');
    const { [id]: _, ...layers } = m.layers;
    const next: ChainManifest = { ...m, layers, intent: undefined };
    if (into === TOP) next.top = { parent: layer.parent };
    else next.layers[into] = { ...layers[into]!, parent: layer.parent };
    await this.commit(next);
    this.o.step?.('merged');
    await unlink(this.layerPath(id)).catch(() => {});
    return next;
  }

  /** Every file of the chain (layers, manifest), for destroying the machine's disks. */
  async files(): Promise<string[]> {
    const m = await this.load().catch(() => undefined);
    return [...Object.keys(m?.layers ?? {}).map((id) => this.layerPath(id)), this.manifestPath];
  }
}

/** Ids from `from`'s parent down to the lowest layer. */
export function lineage(m: ChainManifest, from: string): string[] {
  const out: string[] = [];
  let at = from === TOP ? m.top.parent : m.layers[from]?.parent ?? null;
  while (at !== null) {
    if (out.includes(at) || !m.layers[at]) throw new DiskChainError(`the disk chain is damaged: layer '${at}' is missing or part of a loop`);
    out.push(at);
    at = m.layers[at]!.parent;
  }
  return out;
}

/** For each layer, what lies on it (layer ids and TOP). */
export function children(m: ChainManifest): Map<string, string[]> {
  const kids = new Map<string, string[]>();
  const add = (parent: string | null, child: string): void => {
    if (parent === null) return;
    kids.set(parent, [...(kids.get(parent) ?? []), child]);
  };
  for (const [id, l] of Object.entries(m.layers)) add(l.parent, id);
  add(m.top.parent, TOP);
  return kids;
}

function checkManifest(text: string, path: string): ChainManifest {
  const bad = (why: string): DiskChainError =>
    new DiskChainError(`the disk chain ${path} cannot be used: ${why}`, 'it was damaged or written by another version of vm; `vm destroy` and `vm up` start the machine afresh');
  let m: ChainManifest;
  try {
    m = JSON.parse(text) as ChainManifest;
  } catch {
    throw bad('it is not JSON');
  }
  if (m?.format !== CHAIN_FORMAT) throw bad('it is not a vm disk chain');
  if (m.version !== CHAIN_VERSION) throw bad(`it has version ${String(m.version)}; this vm reads version ${CHAIN_VERSION}`);
  if (typeof m.layers !== 'object' || m.layers === null || typeof m.top !== 'object' || m.top === null) throw bad('it lacks its layers or top');
  for (const [id, l] of Object.entries(m.layers)) {
    if (!ID.test(id) || typeof l !== 'object' || l === null || !(l.parent === null || typeof l.parent === 'string')) throw bad(`layer '${id}' is malformed`);
  }
  if (!(m.top.parent === null || typeof m.top.parent === 'string')) throw bad('its top is malformed');
  try {
    lineage(m, TOP);
    for (const id of Object.keys(m.layers)) lineage(m, id);
  } catch (err) {
    throw bad((err as Error).message);
  }
  const i = m.intent;
  if (i !== undefined && !((i.kind === 'swap-top' && typeof i.tmp === 'string' && !i.tmp.includes('/')) || (i.kind === 'merge' && typeof i.layer === 'string' && typeof i.into === 'string'))) {
    throw bad('its pending step is malformed');
  }
  return m;
}
