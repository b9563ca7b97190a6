// A small client of qemu's gdbstub over a Unix socket: the GDB Remote Serial Protocol (GDB manual,
// appendix E "GDB Remote Serial Protocol": packets `$data#checksum` acknowledged with `+`, `p`/`P`
// register read/write, `qXfer:features:read` target descriptions, `D` detach). Just enough to read
// and write a register by name, which is what the qemu engine needs to repair a resumed guest's
// timer (see migration-file.ts); not a debugger.

import type { Socket } from 'node:net';
import { connectUnix } from '../shared/unix-socket.js';

/** The stub did not answer, answered with an error, or the connection broke. */
export class GdbRemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GdbRemoteError';
  }
}

const DEFAULT_TIMEOUT_MS = 5000;
/** A reply longer than this is not something we asked for. */
const MAX_REPLY_BYTES = 1024 * 1024;
/** `T`/`S` stop replies (E.3 "Stop Reply Packets"). */
const STOP_REPLY = /^[TS][0-9a-fA-F]{2}/;

/** `$payload#xx`: the checksum is the sum of the payload's bytes modulo 256, two hex digits. */
export function frame(payload: string): string {
  let sum = 0;
  for (const b of Buffer.from(payload, 'latin1')) sum = (sum + b) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

/**
 * Pulls the next complete packet's payload out of `buf` (acks and notifications before it are skipped).
 * Returns the payload and the rest of the buffer, or undefined while the packet is incomplete.
 * Run-length encoding (`*`) is expanded; `}` escapes are undone.
 */
export function unframe(buf: string): { payload: string; rest: string; checksumOk: boolean } | undefined {
  const start = buf.indexOf('$');
  if (start < 0) return undefined;
  const hash = buf.indexOf('#', start + 1);
  if (hash < 0 || buf.length < hash + 3) return undefined;
  const raw = buf.slice(start + 1, hash);
  let sum = 0;
  for (let i = 0; i < raw.length; i++) sum = (sum + raw.charCodeAt(i)) & 0xff;
  const checksumOk = sum === parseInt(buf.slice(hash + 1, hash + 3), 16);
  let payload = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '}' && i + 1 < raw.length) {
      payload += String.fromCharCode(raw.charCodeAt(++i) ^ 0x20);
    } else if (c === '*' && payload.length > 0 && i + 1 < raw.length) {
      // the character before repeats (count - 29) more times
      payload += payload[payload.length - 1]!.repeat(raw.charCodeAt(++i) - 29);
    } else {
      payload += c;
    }
  }
  return { payload, rest: buf.slice(hash + 3), checksumOk };
}

/** The register number the target description `xml` gives the register `name`, or undefined. */
export function registerNumber(xml: string, name: string): number | undefined {
  for (const m of xml.matchAll(/<reg\s[^>]*>/g)) {
    const tag = m[0];
    if (/\bname="([^"]*)"/.exec(tag)?.[1] !== name) continue;
    const regnum = /\bregnum="(\d+)"/.exec(tag)?.[1];
    return regnum === undefined ? undefined : Number(regnum);
  }
  return undefined;
}

export class GdbRemote {
  private buffer = '';
  private waiter: ((payload: string) => void) | undefined;
  private closedWith: Error | undefined;
  private failWaiter: ((err: Error) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new GdbRemoteError(`gdbstub connection error: ${err.message}`)));
    socket.on('close', () => this.fail(new GdbRemoteError('gdbstub connection closed')));
  }

  static async connect(socketPath: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<GdbRemote> {
    const socket = await connectUnix(socketPath, timeoutMs, (why) =>
      new GdbRemoteError(why.timedOut ? `no gdbstub connection to ${socketPath} within ${timeoutMs} ms` : `cannot connect to the gdbstub at ${socketPath}: ${why.message}`),
    );
    return new GdbRemote(socket);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_REPLY_BYTES) {
      this.fail(new GdbRemoteError('the gdbstub sent an oversized reply'));
      this.socket.destroy();
      return;
    }
    for (;;) {
      const p = unframe(this.buffer);
      if (!p) return;
      this.buffer = p.rest;
      this.socket.write(p.checksumOk ? '+' : '-');
      if (!p.checksumOk) continue; // the stub sends it again
      // A stop reply the stub sends on its own (qemu stops the machine when a debugger attaches and
      // reports it): none of our requests expects one, and register values are hex, never T/S.
      if (STOP_REPLY.test(p.payload)) continue;
      const w = this.waiter;
      this.waiter = undefined;
      this.failWaiter = undefined;
      w?.(p.payload);
    }
  }

  private fail(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.failWaiter?.(err);
    this.waiter = undefined;
    this.failWaiter = undefined;
  }

  /** Sends one packet and returns the stub's reply payload. One request at a time. */
  request(payload: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.waiter) return Promise.reject(new GdbRemoteError('a gdbstub request is already under way'));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.failWaiter = undefined;
        reject(new GdbRemoteError(`the gdbstub did not answer ${payload.slice(0, 40)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.failWaiter = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      this.socket.write(frame(payload));
    });
  }

  /** The target description document `annex` (e.g. target.xml), read in pieces. */
  async readFeature(annex: string): Promise<string> {
    let text = '';
    for (;;) {
      const reply = await this.request(`qXfer:features:read:${annex}:${text.length.toString(16)},fff`);
      if (reply === '' || reply.startsWith('E')) throw new GdbRemoteError(`the gdbstub has no target description ${annex} (${reply || 'unsupported'})`);
      text += reply.slice(1);
      if (reply[0] === 'l') return text;
      if (reply[0] !== 'm') throw new GdbRemoteError(`unexpected qXfer reply ${reply.slice(0, 40)}`);
    }
  }

  /** Every target description document reachable from target.xml, concatenated. */
  async targetDescription(): Promise<string> {
    const seen = new Set<string>();
    const queue = ['target.xml'];
    let all = '';
    while (queue.length > 0) {
      const annex = queue.shift()!;
      if (seen.has(annex)) continue;
      seen.add(annex);
      const xml = await this.readFeature(annex);
      all += xml;
      for (const m of xml.matchAll(/<xi:include\s+href="([^"]+)"/g)) queue.push(m[1]!);
    }
    return all;
  }

  /** Register `n`'s raw bytes, in target byte order. */
  async readRegister(n: number): Promise<Buffer> {
    const reply = await this.request(`p${n.toString(16)}`);
    if (reply === '' || reply.startsWith('E') || reply.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(reply)) {
      throw new GdbRemoteError(`the gdbstub cannot read register ${n} (${reply || 'unsupported'})`);
    }
    return Buffer.from(reply, 'hex');
  }

  async writeRegister(n: number, value: Buffer): Promise<void> {
    const reply = await this.request(`P${n.toString(16)}=${value.toString('hex')}`);
    if (reply !== 'OK') throw new GdbRemoteError(`the gdbstub cannot write register ${n} (${reply || 'unsupported'})`);
  }

  /** Ends the debugging session (qemu resumes the machine when its last debugger detaches). */
  async detach(): Promise<void> {
    await this.request('D');
  }

  close(): void {
    this.socket.destroy();
  }
}
