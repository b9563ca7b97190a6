// A problem found in a Vmfile: what is wrong and where (file:line:col), collected rather than thrown.

export type Severity = 'error' | 'warning';

/** A path into the YAML document: mapping keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

export interface Problem {
  severity: Severity;
  message: string;
  /** Absolute path of the Vmfile. */
  file: string;
  /** 1-based; 0 when the problem has no place in the file (e.g. the file is empty). */
  line: number;
  col: number;
  /** Where in the document, e.g. `machines.web.forwards[0].host`; empty for the whole file. */
  path: string;
  /** What to do about it, when the message alone does not say. */
  hint?: string;
}

/** `machines.web.forwards[0].host`: how users see a path, close to how they wrote it. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const raw of path) {
    // Keys can be any length; a path is for reading.
    const seg = typeof raw === 'string' && raw.length > 40 ? `${raw.slice(0, 37)}...` : raw;
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Problems sorted the way a reader meets them in the file. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col || a.message.localeCompare(b.message));
}

/** Drops exact repeats (same place, same message), which several checks can produce for one value. */
export function dedupeProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.severity}\u0000${p.line}\u0000${p.col}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
