// Best-effort answer to "who holds this port?" on Linux: the socket's inode from /proc/net/{tcp,udp}[6],
// then the process whose /proc/<pid>/fd has a link to socket:[inode]. Returns undefined anywhere else,
// or when the holder is not visible to us (another network namespace, no permission).

import { readdir, readFile, readlink } from 'node:fs/promises';

export interface PortHolder {
  pid: number;
  /** The process's command line (or its comm name when the command line is empty). */
  command: string;
}

const TCP_LISTEN = '0A';

/** Socket inodes bound to `port`, from the /proc/net table text (header line first). */
export function inodesForPort(table: string, port: number, listenOnly: boolean): string[] {
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = f[1]!;
    const colon = local.lastIndexOf(':');
    if (colon < 0 || parseInt(local.slice(colon + 1), 16) !== port) continue;
    if (listenOnly && f[3] !== TCP_LISTEN) continue;
    if (f[9] !== '0') inodes.push(f[9]!);
  }
  return inodes;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function findPortHolder(protocol: 'tcp' | 'udp', port: number): Promise<PortHolder | undefined> {
  if (process.platform !== 'linux') return undefined;
  const inodes = new Set<string>();
  for (const table of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    const text = await readText(table);
    if (text !== undefined) for (const i of inodesForPort(text, port, protocol === 'tcp')) inodes.add(i);
  }
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = await readlink(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!wanted.has(target)) continue;
      const cmdline = (await readText(`/proc/${pid}/cmdline`))?.split('\0').filter(Boolean).join(' ');
      const comm = (await readText(`/proc/${pid}/comm`))?.trim();
      return { pid: Number(pid), command: cmdline || comm || '?' };
    }
  }
  return undefined;
}
