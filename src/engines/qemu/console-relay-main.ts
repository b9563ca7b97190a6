// The console relay's process (see console-relay.ts): started detached by the qemu engine beside
// qemu, argv[2] is its options as JSON; it exits 0 when qemu exits, 1 when it cannot do its job.
import { removeIfSocketSync } from '../shared/unix-socket.js';
import { runConsoleRelay } from './console-relay.js';

export interface ConsoleRelayLaunch {
  serialSocket: string;
  consoleSocket: string;
  consoleLog: string;
  connectTimeoutMs: number;
}

const log = (message: string): void => {
  process.stderr.write(`vm console relay: ${message}\n`);
};

async function main(): Promise<void> {
  process.umask(0o077);
  let launch: ConsoleRelayLaunch;
  try {
    launch = JSON.parse(process.argv[2] ?? '') as ConsoleRelayLaunch;
  } catch {
    log('usage: console-relay-main.js <options as JSON>');
    process.exit(2);
  }
  process.on('SIGTERM', () => {
    removeIfSocketSync(launch.consoleSocket);
    process.exit(0);
  });
  try {
    await runConsoleRelay({ ...launch, log });
    process.exit(0);
  } catch (err) {
    log((err as Error).message);
    process.exit(1);
  }
}

void main();
