// The emulator's import graph (src/emulator): no module imports `node:` (the emulator reaches the
// host only through the typed ports its callers hand it), no two modules need each other at run
// time, and its directories form layers (memory and snapshot's state format at the bottom, then
// devices and cpu, the board in machine/ on top) with no directory importing one that imports it.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/emulator');

/** Directory cycles known and not yet removed, each as its sorted directory names (none left: the
 *  mmu, which is the hart's own, lives under cpu/). */
const KNOWN_DIRECTORY_CYCLES: string[][] = [];

interface Edge {
  from: string;
  /** Resolved path for a relative import, else the specifier as written. */
  to: string;
  spec: string;
  /** `import type`, or every named binding marked `type`: erased, no run-time dependency. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function importsOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: Edge[] = [];
  const add = (spec: string, typeOnly: boolean): void => {
    const to = spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec;
    out.push({ from: file, to, spec, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Strongly connected components of more than one node (Tarjan): each is a set of nodes that import each other. */
function cycles(nodes: string[], next: (n: string) => string[]): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) strong(n);
  return found;
}

const files = sourceFiles(ROOT);
const edges = files.flatMap(importsOf);
const rel = (p: string): string => relative(ROOT, p);
const directoryOf = (p: string): string => rel(p).split('/')[0]!;
const inTree = new Set(files);

describe('src/emulator imports', () => {
  it('reads the whole tree (a walk that found nothing would pass everything)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.map(rel)).toContain('cpu/hart.ts');
    expect(edges.filter((e) => inTree.has(e.to)).length).toBeGreaterThan(100);
  });

  it('imports no node: module and nothing from the layers above it (engines, core, cli)', () => {
    const node = edges.filter((e) => e.spec.startsWith('node:')).map((e) => `${rel(e.from)}: ${e.spec}`);
    expect(node).toEqual([]);
    const upward = edges.filter((e) => e.spec.startsWith('.') && !inTree.has(e.to)).map((e) => `${rel(e.from)}: ${e.spec}`);
    expect(upward).toEqual([]);
  });

  it('has no modules that need each other at run time', () => {
    const runtime = new Map<string, string[]>(files.map((f) => [f, []]));
    for (const e of edges) if (!e.typeOnly && inTree.has(e.to)) runtime.get(e.from)!.push(e.to);
    expect(cycles(files, (f) => runtime.get(f)!).map((c) => c.map(rel))).toEqual([]);
  });

  it('has no directories that import each other, type-only imports included, but the known ones', () => {
    const dirs = [...new Set(files.map(directoryOf))];
    const next = new Map<string, Set<string>>(dirs.map((d) => [d, new Set()]));
    for (const e of edges) {
      if (!inTree.has(e.to)) continue;
      const a = directoryOf(e.from);
      const b = directoryOf(e.to);
      if (a !== b) next.get(a)!.add(b);
    }
    const found = cycles(dirs, (d) => [...next.get(d)!]);
    const known = new Set(KNOWN_DIRECTORY_CYCLES.map((c) => c.join(' ')));
    expect(found.filter((c) => !known.has(c.join(' ')))).toEqual([]);
  });
});
