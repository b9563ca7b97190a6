// The qemu machine's console as both engines present it: qemu's serial port is a socket only this
// relay connects to; the relay always reads it (a console client that stops reading never stalls the
// guest's UART), fans it out to any number of console.sock clients (one types), and writes the
// bounded console.log. qemu's own socket chardev takes one client at a time and blocks the guest's
// output when that client does not read; its logfile= grows without bound.
// Pieces shared with the builtin engine: ConsoleHub (fan-out, bounded buffers), ConsoleLog (bounded,
// rotated), listenUnix (0600 sockets, stale-socket rules).

import { connect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConsoleHub } from '../shared/console-hub.js';
import { ConsoleLog } from '../shared/console-log.js';
import { listenUnix, removeIfSocketSync } from '../shared/unix-socket.js';

/** Console input queued towards qemu before the typing client is paused (the guest reads slowly). */
const INPUT_QUEUE_LIMIT = 64 * 1024;
const CONNECT_RETRY_MS = 25;

export interface ConsoleRelayOptions {
  /** qemu's serial chardev socket (server side is qemu). */
  serialSocket: string;
  /** The socket console clients connect to. */
  consoleSocket: string;
  consoleLog: string;
  /** How long to keep trying to reach qemu's socket. */
  connectTimeoutMs: number;
  log: (message: string) => void;
}

async function connectSerial(path: string, timeoutMs: number): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = await new Promise<Socket | Error>((resolve) => {
      const s = connect(path);
      s.once('connect', () => {
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => resolve(err));
    });
    if (!(attempt instanceof Error)) return attempt;
    if (Date.now() > deadline) throw new Error(`cannot reach qemu's serial socket ${path} within ${timeoutMs} ms: ${attempt.message}`);
    await sleep(CONNECT_RETRY_MS);
  }
}

/** Runs until qemu closes its side (it exited); resolves then, after cleaning up its sockets. */
export async function runConsoleRelay(o: ConsoleRelayOptions): Promise<void> {
  const serial = await connectSerial(o.serialSocket, o.connectTimeoutMs);
  const consoleLog = new ConsoleLog(o.consoleLog);
  const hub = new ConsoleHub({
    input: (bytes) => {
      if (serial.destroyed || serial.writableLength > INPUT_QUEUE_LIMIT) return 0;
      serial.write(bytes);
      return bytes.length;
    },
    onLog: o.log,
  });
  let server: Server | undefined;
  const ended = new Promise<void>((resolve) => {
    serial.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      consoleLog.write(bytes);
      hub.publish(bytes);
    });
    serial.on('error', (err) => o.log(`serial socket: ${err.message}`));
    serial.on('close', () => resolve());
  });
  try {
    server = await listenUnix(o.consoleSocket, (s) => hub.attach(s));
  } catch (err) {
    serial.destroy();
    await consoleLog.close();
    throw err;
  }
  await ended;
  hub.close();
  server.close();
  removeIfSocketSync(o.consoleSocket);
  // qemu leaves its listening socket behind on exit; the runtime dir is removed only when empty
  removeIfSocketSync(o.serialSocket);
  await consoleLog.close();
}
