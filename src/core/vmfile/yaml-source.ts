// A parsed Vmfile's YAML document with its line counter: finds where a path's key or value was written.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { YamlPath } from './problem.js';

export interface Position {
  line: number;
  col: number;
}

type AnyNode = Node | null | undefined;

export class YamlSource {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** 1-based line and column of a character offset. */
  position(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /**
   * Where the value at `path` was written, or with `key` where its key was. When the path goes
   * further than the document does (a missing key), the deepest existing node is used: still the
   * right neighbourhood. An empty value (`memory:`) is located at its key, where the reader looks.
   */
  locate(path: YamlPath, opts: { key?: boolean } = {}): Position {
    let node: AnyNode = this.doc.contents as AnyNode;
    let last: AnyNode = node;
    let lastKey: AnyNode;
    for (let i = 0; i < path.length; i++) {
      node = this.resolveAlias(node);
      const seg = path[i]!;
      let next: AnyNode;
      let keyNode: AnyNode;
      if (isMap(node)) {
        const pair = this.findPair(node.items as Pair[], String(seg), 0);
        if (pair) {
          keyNode = pair.key as AnyNode;
          next = pair.value as AnyNode;
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg] as AnyNode;
      }
      if (keyNode === undefined && next === undefined) break;
      const isLast = i === path.length - 1;
      if (isLast && opts.key && keyNode) return this.start(keyNode);
      lastKey = keyNode;
      last = next ?? keyNode;
      node = next;
      if (isLast && (next === undefined || next === null || (isScalar(next) && next.source === '' && next.value === null))) {
        return this.start(keyNode ?? last);
      }
    }
    return this.start(last ?? lastKey);
  }

  private findPair(items: Pair[], key: string, depth: number): Pair | undefined {
    for (const pair of items) {
      const k = pair.key as AnyNode;
      if (isScalar(k) && typeof k.value !== 'symbol' && String(k.value) === key) return pair;
    }
    // `<<: *base` merge keys: the value may have been written under the anchor.
    if (depth > 8) return undefined;
    for (const pair of items) {
      const k = pair.key as AnyNode;
      if (!isScalar(k) || typeof k.value !== 'symbol') continue;
      const v = this.resolveAlias(pair.value as AnyNode);
      const sources = isSeq(v) ? v.items.map((n) => this.resolveAlias(n as AnyNode)) : [v];
      for (const src of sources) {
        if (!isMap(src)) continue;
        const found = this.findPair(src.items as Pair[], key, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  }

  private resolveAlias(node: AnyNode): AnyNode {
    if (isAlias(node)) return node.resolve(this.doc) as AnyNode;
    return node;
  }

  private start(node: AnyNode): Position {
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, col: 1 } : this.position(offset);
  }
}
