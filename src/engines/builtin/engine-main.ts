// The builtin engine's detached process: `node engine-main.js <stateDir>/engine.json`. Boots the
// machine in this process, serves console.sock / agent.sock / qmp.sock in the runtime dir, writes
// console.log, reboots in place when the guest asks, and exits when the machine ends (0 on poweroff).
// Its stdout/stderr are engine.log; it runs in its own process group, so the CLI's Ctrl-C never reaches it.
import type { Server } from 'node:net';
import { ConsoleHub } from '../shared/console-hub.js';
import { ConsoleLog } from '../shared/console-log.js';
import { readLaunchFile, type LaunchFile } from './launch-file.js';
import { PortBridge } from './port-bridge.js';
import { QmpServer } from '../shared/qmp-server.js';
import { listenUnix, removeIfSocketSync, SocketPathError } from '../shared/unix-socket.js';
import { MachineRunner } from './machine-runner.js';
import { machineExitStatus } from './builtin-machine.js';
import { startTrace } from '../shared/start-trace.js';

const log = (m: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${m}\n`);
};

async function main(): Promise<number> {
  startTrace('engine', 'process start', performance.timeOrigin);
  startTrace('engine', 'main');
  const file = process.argv[2];
  if (!file) {
    log('usage: engine-main.js ENGINE_JSON');
    return 2;
  }
  // Everything this process creates (sockets, logs) is private from the first byte.
  process.umask(0o077);
  let launch: LaunchFile;
  try {
    launch = await readLaunchFile(file);
  } catch (err) {
    log(`cannot start: ${(err as Error).message}`);
    return 2;
  }
  startTrace('engine', 'launch file read');
  const { paths } = launch;
  log(`engine ${process.pid} starting machine '${launch.config.name}' (${launch.config.cpus} cpu, ${launch.config.memoryBytes / 1048576} MiB)`);

  const consoleLog = new ConsoleLog(paths.consoleLog);
  const runner = new MachineRunner(launch, { log, consoleLog });
  const hub = new ConsoleHub({ input: (b) => runner.consoleInput(b), onLog: log });
  const agent = new PortBridge();
  const qmp = new QmpServer(runner);
  runner.on({
    output: (chunk) => hub.publish(chunk),
    agentPort: (p) => agent.setPort(p),
    agentData: (b) => agent.fromGuest(b),
    reset: () => qmp.event('RESET', { guest: true, reason: 'guest-reset' }),
  });

  const servers: Server[] = [];
  const sockets = [paths.consoleSocket, paths.agentSocket, paths.qmpSocket];
  const cleanup = (): void => {
    for (const s of servers) s.close();
    for (const s of sockets) removeIfSocketSync(s);
  };
  process.on('exit', cleanup);
  try {
    servers.push(await listenUnix(paths.consoleSocket, (s) => hub.attach(s)));
    servers.push(await listenUnix(paths.agentSocket, (s) => agent.attach(s)));
    servers.push(await listenUnix(paths.qmpSocket, (s) => qmp.accept(s)));
  } catch (err) {
    log(`cannot start: ${err instanceof SocketPathError ? err.message : (err as Error).stack}`);
    return 2;
  }
  startTrace('engine', 'sockets listening');

  const stop = (why: string): void => {
    log(`${why}: stopping the machine`);
    runner.quit();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => undefined);

  const end = await runner.run();
  const shutdownReason = end.kind === 'poweroff' ? 'guest-shutdown' : end.kind === 'stopped' ? 'host-qmp-quit' : 'guest-panic';
  qmp.event('SHUTDOWN', { guest: end.kind === 'poweroff', reason: shutdownReason });
  log(`machine ended: ${end.kind}${'message' in end ? `: ${end.message}` : ''}`);
  hub.close();
  agent.close();
  qmp.close();
  cleanup();
  await consoleLog.close();
  return machineExitStatus(end);
}

process.on('uncaughtException', (err) => {
  log(`engine fault (a bug in vm): ${err.stack ?? err.message}`);
  process.exit(70);
});

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`engine fault (a bug in vm): ${err.stack ?? err.message}`);
    process.exit(70);
  },
);
