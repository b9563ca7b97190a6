// Problems as text for a terminal: `Vmfile:4:3: error: ...`, the offending line with a caret, a hint.
import { relative, isAbsolute } from 'node:path';
import type { Problem } from './problem.js';

export interface FormatOptions {
  /** File names are shown relative to this folder when inside it. */
  cwd?: string;
  /** The Vmfile's text, to quote the line each problem is on. */
  text?: string;
}

export function displayPath(file: string, cwd: string | undefined): string {
  if (!cwd) return file;
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function formatProblem(p: Problem, opts: FormatOptions = {}): string {
  const place = p.line > 0 ? `${displayPath(p.file, opts.cwd)}:${p.line}:${p.col}` : displayPath(p.file, opts.cwd);
  const lines = [`${place}: ${p.severity}: ${p.message}`];
  const source = opts.text?.split(/\r?\n/)[p.line - 1];
  if (source !== undefined && p.line > 0) {
    const gutter = String(p.line).padStart(5);
    // Tabs are kept so the caret lines up under the same characters.
    const pad = source.slice(0, Math.max(0, p.col - 1)).replace(/[^\t]/g, ' ');
    const shown = (source.length > 200 ? `${source.slice(0, 200)}...` : source).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?');
    lines.push(`${gutter} | ${shown}`, `${' '.repeat(gutter.length)} | ${pad}^`);
  }
  if (p.hint) lines.push(`  hint: ${p.hint}`);
  return lines.join('\n');
}

export function formatProblems(problems: Problem[], opts: FormatOptions = {}): string {
  return problems.map((p) => formatProblem(p, opts)).join('\n');
}
