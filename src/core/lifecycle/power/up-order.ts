// The order `vm up` brings machines up in, from `depends_on`: dependencies first (and brought up too
// when only their dependents were named, as docker compose does), otherwise in Vmfile order. The
// Vmfile checks already refused cycles and unknown names (src/core/vmfile/orchestration.ts).
import type { MachineConfig } from '../../../model/machine-config.js';

export interface UpOrder {
  /** The machines to bring up, each after the machines it depends on. */
  machines: MachineConfig[];
  /** Machines added because a named one depends on them. */
  added: string[];
  /** For each machine, those of `machines` it must wait for (up, and their `ready` probe passed). */
  waitsFor: Map<string, string[]>;
  /** Whether any dependency is involved (then independent machines may boot together). */
  hasDependencies: boolean;
}

export function upOrder(selected: MachineConfig[], all: MachineConfig[], o: { withDependencies: boolean }): UpOrder {
  const byName = new Map(all.map((m) => [m.name, m] as const));
  const rank = new Map(all.map((m, i) => [m.name, i] as const));
  const wanted = new Set(selected.map((m) => m.name));
  const added: string[] = [];
  if (o.withDependencies) {
    const queue = [...wanted];
    while (queue.length > 0) {
      for (const dep of byName.get(queue.shift()!)?.dependsOn ?? []) {
        if (wanted.has(dep) || !byName.has(dep)) continue;
        wanted.add(dep);
        added.push(dep);
        queue.push(dep);
      }
    }
  }
  // Kahn's algorithm, always taking the earliest machine of the Vmfile among those whose
  // dependencies are placed (a stable order, the written one when nothing depends on anything).
  const pending = [...wanted].sort((a, b) => rank.get(a)! - rank.get(b)!);
  const placed = new Set<string>();
  const machines: MachineConfig[] = [];
  const waitsFor = new Map<string, string[]>();
  while (pending.length > 0) {
    const i = pending.findIndex((n) => (byName.get(n)!.dependsOn ?? []).every((d) => placed.has(d) || !wanted.has(d)));
    // A cycle cannot reach here (refused at load); take the next one rather than loop forever.
    const name = pending.splice(i < 0 ? 0 : i, 1)[0]!;
    placed.add(name);
    const m = byName.get(name)!;
    machines.push(m);
    waitsFor.set(name, (m.dependsOn ?? []).filter((d) => wanted.has(d)));
  }
  return { machines, added: added.sort((a, b) => rank.get(a)! - rank.get(b)!), waitsFor, hasDependencies: [...waitsFor.values()].some((w) => w.length > 0) };
}
