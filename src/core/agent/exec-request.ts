// Builds and checks an EXEC request on the host, so a request the guest cannot carry out as
// written (NUL bytes, a bad env name, too large) fails here with a clear message.
import { AgentError } from './errors.js';
import { PayloadWriter } from './payloads.js';
import { EXEC_CLEAR_ENV, MAX_LIST, MAX_PAYLOAD } from './protocol.js';

export type Bytes = string | Uint8Array;

export interface ExecRequest {
  /** The program and its arguments, passed as is: no shell (use ['sh', '-c', script] for one). */
  argv: Bytes[];
  /** Added to (or replacing entries of) the agent's environment. */
  env?: Record<string, Bytes>;
  /** Start from an empty environment instead of the agent's (PATH, HOME). */
  clearEnv?: boolean;
  /** Working directory in the guest (default /). */
  cwd?: string;
}

const toBytes = (v: Bytes): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

function refuse(message: string): never {
  throw new AgentError(message, 'request');
}

/** The EXEC payload; `window` is the initial credit for stdout and for stderr. */
export function encodeExecRequest(req: ExecRequest, window: number): Buffer {
  if (!Array.isArray(req.argv) || req.argv.length === 0) refuse('exec needs a command: argv is empty');
  if (req.argv.length > MAX_LIST) refuse(`exec takes at most ${MAX_LIST} arguments, got ${req.argv.length}`);
  const argv = req.argv.map((a, i) => {
    if (typeof a !== 'string' && !(a instanceof Uint8Array)) refuse(`argument ${i} is not a string or bytes`);
    const b = toBytes(a);
    if (b.includes(0)) {
      refuse(`argument ${i} (${JSON.stringify(b.toString('utf8').slice(0, 40))}) contains a NUL byte, which a command line cannot carry`);
    }
    return b;
  });
  const env: Buffer[] = [];
  for (const [key, value] of Object.entries(req.env ?? {})) {
    if (key === '' || key.includes('=') || key.includes('\0')) {
      refuse(`environment variable name ${JSON.stringify(key)} is not valid: it must be non-empty, without '=' or NUL`);
    }
    const v = toBytes(value);
    if (v.includes(0)) refuse(`environment variable ${key} contains a NUL byte, which an environment cannot carry`);
    env.push(Buffer.concat([Buffer.from(`${key}=`, 'utf8'), v]));
  }
  if (env.length > MAX_LIST) refuse(`exec takes at most ${MAX_LIST} environment variables, got ${env.length}`);
  const cwd = Buffer.from(req.cwd ?? '', 'utf8');
  if (cwd.includes(0)) refuse('the working directory contains a NUL byte');
  const payload = new PayloadWriter()
    .u32(req.clearEnv ? EXEC_CLEAR_ENV : 0)
    .u32(window)
    .list(argv)
    .list(env)
    .bytes(cwd)
    .done();
  if (payload.length > MAX_PAYLOAD) {
    refuse(
      `the command's arguments and environment take ${payload.length} bytes, more than the agent's limit of ${MAX_PAYLOAD}; ` +
        'pass large data through stdin or a file',
    );
  }
  return payload;
}
