// Test helper: temp stores, box folders and archives built on the fly, and a snapshot of a store's files.
import { mkdtempSync, mkdirSync, readdirSync, lstatSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boxJson, tar, tgz, type TarItem } from './tar-writer.js';
import type { StoreLocation } from '../../../../src/core/paths.js';

export interface TempEnv {
  root: string;
  loc: StoreLocation & { home: string; bundledDir: string };
  cleanup(): void;
}

export function tempEnv(): TempEnv {
  const root = mkdtempSync(join(tmpdir(), 'vm-store-test-'));
  const loc = { home: join(root, 'home'), bundledDir: join(root, 'bundled') };
  mkdirSync(loc.bundledDir);
  return { root, loc, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A small kernel, an initrd and a 4 MiB root disk that is mostly zeros (to exercise holes). */
export function demoFiles(): Record<string, Buffer> {
  const disk = Buffer.alloc(4 << 20);
  disk.write('ext4-superblock-ish', 1024);
  disk.write('tail', disk.length - 10);
  return {
    Image: Buffer.from('riscv kernel image bytes '.repeat(40)),
    'initrd.gz': Buffer.from('initramfs'),
    'disk/root.img': disk,
  };
}

export const demoManifest = (files: Record<string, Buffer>, over: Record<string, unknown> = {}): string =>
  boxJson(files, { initrd: 'initrd.gz', root_disk: { path: 'disk/root.img', format: 'raw' }, ...over });

/** Writes box.json + files into `dir`. */
export function writeBoxFolder(dir: string, files: Record<string, Buffer>, manifest = demoManifest(files)): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'box.json'), manifest);
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, ...name.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(dir, ...name.split('/')), data);
  }
  return dir;
}

export function boxItems(files: Record<string, Buffer>, manifest = demoManifest(files)): TarItem[] {
  return [{ name: './', type: '5' }, { name: './box.json', data: manifest }, ...Object.entries(files).map(([name, data]) => ({ name: `./${name}`, data }))];
}

export function writeArchive(path: string, items: TarItem[], gzip = true): string {
  writeFileSync(path, gzip ? tgz(items) : tar(items));
  return path;
}

/** Every path under `dir` with its type and size, for "the store is unchanged" assertions. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      const st = lstatSync(join(d, e));
      out.push(`${rel}${e}${st.isDirectory() ? '/' : ` ${st.size}`}`);
      if (st.isDirectory()) walk(join(d, e), `${rel}${e}/`);
    }
  };
  walk(dir, '');
  return out;
}
