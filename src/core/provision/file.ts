// The file provisioner: a host file copied to an absolute guest path (parent folders created),
// keeping its permission bits.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AgentClient } from '../agent/index.js';
import type { ProvisionerConfig } from '../../model/machine-config.js';
import { UserError } from '../errors.js';

export async function runFile(agent: AgentClient, p: Extract<ProvisionerConfig, { type: 'file' }>): Promise<number> {
  let st;
  try {
    st = await stat(p.source);
  } catch (err) {
    throw new UserError(`provisioner '${p.name}': cannot read ${p.source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new UserError(`provisioner '${p.name}': ${p.source} is not a regular file`, { hint: 'the file provisioner copies one file' });
  await agent.writeFile(p.destination, createReadStream(p.source), { mode: st.mode & 0o777, mkdirs: true });
  return st.size;
}
