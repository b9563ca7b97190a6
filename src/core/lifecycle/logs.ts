// `vm logs`: the machine's console log, and with follow, what it prints from then on (across
// reboots and rotations), until the caller aborts.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MachineConfig } from '../../engines/machine-config.js';
import { EXIT, UserError } from '../errors.js';
import { FileFollower } from './console-file.js';
import { runtimePathsFor } from './runtime-dir.js';

export interface LogsOptions {
  follow?: boolean;
  signal?: AbortSignal;
  write: (chunk: Buffer) => void | Promise<void>;
}

export async function showLogs(config: MachineConfig, o: LogsOptions): Promise<void> {
  const log = runtimePathsFor(config.project.stateDir).consoleLog;
  if (!existsSync(log) && !o.follow) {
    throw new UserError(`machine '${config.name}' has no console log yet`, { exitCode: EXIT.wrongState, hint: `\`vm up ${config.name}\` boots it` });
  }
  const follower = new FileFollower(log);
  for (;;) {
    const chunk = await follower.read();
    if (chunk.length > 0) {
      await o.write(chunk);
      continue;
    }
    if (!o.follow || o.signal?.aborted) return;
    await sleep(200, undefined, { signal: o.signal }).catch(() => undefined);
  }
}
