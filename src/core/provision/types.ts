// What a provisioner run reports to its caller: which provisioner starts, and its output as it comes.
import type { ProvisionerConfig } from '../../model/machine-config.js';

export interface ProvisionOutput {
  start(p: ProvisionerConfig): void;
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void;
}
