// The domain keeper's process (see domain-keeper.ts): started detached by the libvirt engine after
// `virsh start --paused`; argv[2] is its options as JSON. Exits 0 when the domain ends, 1 when it
// cannot do its job (the engine then destroys the domain).
import { TUNNEL_RETRY_SIGNAL } from '../shared/forward-tunnel-record.js';
import { DomainKeeper, type KeeperLaunch } from './domain-keeper.js';

const log = (message: string): void => {
  process.stderr.write(`vm domain keeper: ${message}\n`);
};

async function main(): Promise<void> {
  process.umask(0o077);
  let launch: KeeperLaunch;
  try {
    launch = JSON.parse(process.argv[2] ?? '') as KeeperLaunch;
  } catch {
    log('usage: domain-keeper-main.js <options as JSON>');
    process.exit(2);
  }
  const keeper = new DomainKeeper(launch, log);
  const stop = (signal: string): void => {
    void keeper.destroyAndEnd(`${signal}: domain destroyed`).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on(TUNNEL_RETRY_SIGNAL, () => keeper.retryTunnel());
  try {
    await keeper.run();
  } catch (err) {
    log((err as Error).message);
    await keeper.end('start failed', { withDomain: true });
    process.exit(1);
  }
  await keeper.ended;
  process.exit(0);
}

void main();
