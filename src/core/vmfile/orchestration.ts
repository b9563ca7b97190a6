// How machines of one Vmfile relate: `primary` (the machine single-machine commands pick), and
// `depends_on` + `ready` (the order `vm up` follows and what it waits for). Per machine first
// (normalizeOrchestration), then across machines (checkOrchestration): at most one primary, every
// dependency a machine of this file, no cycles.
import type { ReadyProbe } from '../../model/machine-config.js';
import { DEFAULT_READY_TIMEOUT_MS, MAX_BOOT_TIMEOUT_MS, MIN_BOOT_TIMEOUT_MS } from './defaults.js';
import { setting, type MachineSource } from './machine-sources.js';
import type { YamlPath } from './problem.js';
import type { Reporter } from './reporter.js';
import { parseDuration } from './units.js';
import { isRecord, quote } from './values.js';

export interface DraftOrchestration {
  primary?: { path: YamlPath };
  dependsOn: { name: string; path: YamlPath }[];
  ready?: ReadyProbe;
}

export function normalizeOrchestration(m: MachineSource, report: Reporter): DraftOrchestration {
  const out: DraftOrchestration = { dependsOn: [] };
  const d = m.defaults;
  // Both are about one machine among several: shared by every machine they make no sense. (Every
  // machine reports it at the same place; identical problems are reported once.)
  for (const key of ['primary', 'depends_on'] as const) {
    if (d && Object.prototype.hasOwnProperty.call(d.value, key)) {
      report.error([...d.path, key], `"${key}" cannot go under defaults: it is about one machine`, {
        key: true,
        hint: `move it into the machine it is about, under \`machines:\``,
      });
    }
  }
  if (m.own.primary === true) out.primary = { path: [...m.path, 'primary'] };
  if (Array.isArray(m.own.depends_on)) {
    const seen = new Set<string>();
    m.own.depends_on.forEach((name, i) => {
      if (typeof name !== 'string' || seen.has(name)) return;
      seen.add(name);
      out.dependsOn.push({ name, path: [...m.path, 'depends_on', i] });
    });
  }
  const ready = readyProbe(setting(m, 'ready'), report);
  if (ready) out.ready = ready;
  return out;
}

function readyProbe(v: { value: unknown; path: YamlPath } | undefined, report: Reporter): ReadyProbe | undefined {
  if (!v || !isRecord(v.value)) return undefined; // absent, or a shape the schema reports
  const { tcp, command, timeout } = v.value;
  const hasTcp = tcp !== undefined;
  const hasCommand = command !== undefined;
  if (hasTcp === hasCommand) {
    report.error(v.path, hasTcp ? '`ready` takes either `tcp` or `command`, not both' : '`ready` needs `tcp: PORT` or `command: "..."`', {
      key: true,
      hint: 'for example `ready: {tcp: 5432}` or `ready: {command: "pg_isready"}`',
    });
    return undefined;
  }
  let timeoutMs = DEFAULT_READY_TIMEOUT_MS;
  if (timeout !== undefined) {
    const ms = parseDuration(timeout);
    if (ms === undefined) return undefined; // malformed: the schema says so
    if (ms < MIN_BOOT_TIMEOUT_MS || ms > MAX_BOOT_TIMEOUT_MS) {
      report.error([...v.path, 'timeout'], `ready.timeout must be between 1s and 24h; got ${typeof timeout === 'string' ? quote(timeout) : String(timeout)}`);
      return undefined;
    }
    timeoutMs = ms;
  }
  if (hasTcp) {
    if (typeof tcp !== 'number' || !Number.isInteger(tcp) || tcp < 1 || tcp > 65535) return undefined;
    return { tcp, timeoutMs };
  }
  if (typeof command !== 'string' || command.trim() === '') return undefined;
  return { command, timeoutMs };
}

interface Node {
  name: string;
  path: YamlPath;
  orchestration: DraftOrchestration;
}

export function checkOrchestration(machines: Node[], report: Reporter): void {
  const primaries = machines.filter((m) => m.orchestration.primary);
  for (const extra of primaries.slice(1)) {
    const first = primaries[0]!;
    report.error(extra.orchestration.primary!.path, `machine "${first.name}" is already the primary one (${report.where(first.orchestration.primary!.path)}); at most one machine can be`, {
      key: true,
      hint: 'keep `primary: true` on one machine only',
    });
  }
  const byName = new Map(machines.map((m) => [m.name, m] as const));
  const edges = new Map<string, string[]>();
  for (const m of machines) {
    const ok: string[] = [];
    for (const dep of m.orchestration.dependsOn) {
      if (dep.name === m.name) {
        report.error(dep.path, `machine "${m.name}" cannot depend on itself`);
      } else if (!byName.has(dep.name)) {
        report.error(dep.path, `machine "${m.name}" depends on ${quote(dep.name)}, which is not a machine of this Vmfile`, {
          hint: `machines: ${machines.map((x) => x.name).join(', ')}`,
        });
      } else {
        ok.push(dep.name);
      }
    }
    edges.set(m.name, ok);
  }
  for (const cycle of findCycles(machines.map((m) => m.name), edges)) {
    // Reported at the edge that closes it, in the first machine of the cycle as written.
    const [from, to] = [cycle[0]!, cycle[1]!];
    const at = byName.get(from)!.orchestration.dependsOn.find((d) => d.name === to)!;
    report.error(at.path, `depends_on makes a cycle: ${[...cycle].join(' -> ')}`, {
      hint: 'machines cannot wait for each other: remove one of these dependencies',
    });
  }
}

/** Each elementary cycle found by a depth-first search, once, as [a, b, ..., a] starting at its earliest machine. */
function findCycles(order: string[], edges: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const next of edges.get(n) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.reduce((a, b) => (order.indexOf(b) < order.indexOf(a) ? b : a));
        const i = cycle.indexOf(start);
        const rotated = [...cycle.slice(i), ...cycle.slice(0, i), start];
        const key = rotated.join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(rotated);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of order) if (!state.has(n)) visit(n);
  return cycles;
}
