// Runs `vm ssh` on a real pseudo-terminal (python3's pty module; node has none built in), types
// into it and reads what the terminal shows, so raw mode and `~.` are exercised for real.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './vm-cli.js';

/**
 * The driver: runs the command on a pty; reads steps as JSON lines on its stdin: {"wait": REGEX,
 * "timeout": S} waits until the screen so far matches, {"send": TEXT} types, {"expectExit": S}
 * waits for the command to end, {"sleep": S} reads for a while. Prints {"screen", "exit", "error"} as JSON at the end.
 */
const DRIVER = String.raw`
import fcntl, json, os, pty, re, select, struct, sys, termios, time
steps = json.loads(sys.stdin.read())
pid, fd = pty.fork()
if pid == 0:
    if 'size' in steps:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', steps['size'][0], steps['size'][1], 0, 0))
    os.execvp(steps['argv'][0], steps['argv'])
screen = b''
def pump(until, timeout):
    global screen
    end = time.time() + timeout
    while time.time() < end:
        if until is not None and re.search(until.encode(), screen):
            return True
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                return until is None
            if not d:
                return until is None
            screen += d
    return until is None
error = None
exit_code = None
for s in steps['steps']:
    if 'wait' in s:
        if not pump(s['wait'], s.get('timeout', 30)):
            error = 'timed out waiting for ' + repr(s['wait'])
            break
    elif 'send' in s:
        os.write(fd, s['send'].encode())
    elif 'sleep' in s:
        pump(None, s['sleep'])
    elif 'expectExit' in s:
        end = time.time() + s['expectExit']
        while time.time() < end:
            pump(None, 0.1)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                exit_code = os.waitstatus_to_exitcode(status)
                break
        if exit_code is None:
            error = 'the command did not end'
        break
if exit_code is None:
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except Exception:
        pass
print(json.dumps({'screen': screen.decode('utf8', 'replace'), 'exit': exit_code, 'error': error}))
`;

export type PtyStep = { wait: string; timeout?: number } | { send: string } | { sleep: number } | { expectExit: number };

export interface PtyResult {
  screen: string;
  exit: number | null;
  error: string | null;
}

/** Runs `vm ARGS` on a pty of `size` [rows, cols] (default: the pty's own), playing `steps`. */
export async function runOnPty(cwd: string, env: NodeJS.ProcessEnv, args: string[], steps: PtyStep[], size?: [number, number]): Promise<PtyResult> {
  const driver = join(cwd, '.pty-driver.py');
  writeFileSync(driver, DRIVER);
  const child = spawn('python3', [driver], { cwd, env, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify({ argv: [process.execPath, BIN, ...args], steps, ...(size ? { size } : {}) }));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise((resolve) => child.on('close', resolve));
  return JSON.parse(out) as PtyResult;
}
