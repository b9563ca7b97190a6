// Test helper: builds the real C agent for this host (with AddressSanitizer and UBSan when the
// compiler has them) and runs it on a socket pair in --fd mode, so the host client talks to
// the same code the box runs, without a VM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export const AGENT_DIR = fileURLToPath(new URL('../../../../agent/', import.meta.url));

const cc = process.env.CC ?? 'gcc';
export const compilerMissing = spawnSync(cc, ['--version']).status !== 0 ? `${cc} is not installed` : null;

function sanitizersWork(dir: string): boolean {
  const probe = join(dir, 'probe.c');
  spawnSync('sh', ['-c', `echo 'int main(void){return 0;}' > ${probe}`]);
  const out = join(dir, 'probe');
  const ok = spawnSync(cc, ['-fsanitize=address,undefined', probe, '-o', out]).status === 0;
  return ok && spawnSync(out).status === 0;
}

/** Path of a host build of the agent, rebuilt when its sources change. */
export function buildHostAgent(): { path: string; sanitized: boolean } {
  const hash = createHash('sha256');
  const src = join(AGENT_DIR, 'src');
  for (const f of readdirSync(src).sort()) hash.update(f).update(readFileSync(join(src, f)));
  hash.update(readFileSync(join(AGENT_DIR, 'Makefile')));
  const cache = join(tmpdir(), `vm-agent-host-${hash.digest('hex').slice(0, 16)}`);
  const meta = join(cache, 'sanitized');
  if (existsSync(join(cache, 'vm-agent'))) return { path: join(cache, 'vm-agent'), sanitized: existsSync(meta) };
  const work = mkdtempSync(join(tmpdir(), 'vm-agent-build-'));
  const sanitized = sanitizersWork(work);
  const cflags = sanitized
    ? '-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra -Werror'
    : '-O1 -g -Wall -Wextra -Werror';
  const args = ['-C', AGENT_DIR, 'agent', `CC=${cc}`, `OUT=${work}/out`, `CFLAGS=${cflags}`, `LDFLAGS=${sanitized ? '-fsanitize=address,undefined' : ''}`];
  const r = spawnSync('make', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the agent failed:\n${r.stdout}\n${r.stderr}`);
  if (sanitized) spawnSync('touch', [join(work, 'out', 'sanitized')]);
  mkdirSync(cache, { recursive: true });
  try {
    renameSync(join(work, 'out', 'vm-agent'), join(cache, 'vm-agent'));
    if (sanitized) renameSync(join(work, 'out', 'sanitized'), meta);
  } catch {
    /* another test file built it at the same time */
  }
  rmSync(work, { recursive: true, force: true });
  return { path: join(cache, 'vm-agent'), sanitized };
}

export interface HostAgent {
  proc: ChildProcess;
  socket: Socket;
  /** The agent's stderr so far (its log, and sanitizer reports). */
  log(): string;
  /** Stops the agent; resolves with its exit code (sanitizer findings make it non-zero). */
  stop(): Promise<number | null>;
}

export function startHostAgent(path: string): HostAgent {
  const proc = spawn(path, ['--fd', '3'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0' },
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    socket: proc.stdio[3] as Socket,
    log: () => stderr,
    async stop() {
      // closing our end is the agent's cue to exit cleanly in --fd mode
      (proc.stdio[3] as Socket).destroy();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
