// Collects problems for a Vmfile, locating each at the key or value it is about.
import { formatPath, type Problem, type Severity, type YamlPath } from './problem.js';
import type { YamlSource } from './yaml-source.js';

export interface ReportOptions {
  /** Point at the key rather than its value (for a name that is wrong, not its setting). */
  key?: boolean;
  hint?: string;
}

export class Reporter {
  readonly problems: Problem[] = [];

  constructor(readonly source: YamlSource) {}

  error(path: YamlPath, message: string, opts: ReportOptions = {}): void {
    this.add('error', path, message, opts);
  }

  warn(path: YamlPath, message: string, opts: ReportOptions = {}): void {
    this.add('warning', path, message, opts);
  }

  /** `Vmfile:12:7`, to tell a reader where the other half of a conflict is. */
  where(path: YamlPath): string {
    const { line, col } = this.source.locate(path);
    return `line ${line}:${col}`;
  }

  get errorCount(): number {
    return this.problems.filter((p) => p.severity === 'error').length;
  }

  private add(severity: Severity, path: YamlPath, message: string, opts: ReportOptions): void {
    const { line, col } = this.source.locate(path, { key: opts.key });
    this.problems.push({ severity, message, file: this.source.file, line, col, path: formatPath(path), ...(opts.hint ? { hint: opts.hint } : {}) });
  }
}
