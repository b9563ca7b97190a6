// YAML text -> document + plain data, refusing what YAML allows but a Vmfile (or a box recipe) must
// not hold: several documents, duplicate keys, `__proto__` keys, non-scalar keys, unknown tags, alias bombs.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Scalar } from 'yaml';
import type { Problem } from './problem.js';
import { YamlSource } from './yaml-source.js';

/** A Vmfile is a few hundred lines; anything near this is a mistake (or an attack on the parser). */
export const MAX_VMFILE_BYTES = 1024 * 1024;
/** Legitimate Vmfiles use a handful of aliases; billion-laughs documents need thousands. */
export const MAX_ALIAS_COUNT = 100;

export interface ParsedVmfile {
  /** Present when the text parsed as YAML, even if the data is unusable. */
  source?: YamlSource;
  /** The plain data, present only when the document is a usable mapping. */
  data?: Record<string, unknown>;
  problems: Problem[];
}

/** What kind of file is read, for the messages: the Vmfile, or a box recipe. */
export interface YamlFileKind {
  /** `Vmfile`, `box recipe`: as in "the Vmfile is empty". */
  noun: string;
  /** What the file does, as in "a Vmfile describes machines". */
  describes: string;
  /** A line a reader can start from, as in "a mapping of keys such as `box: tiny`". */
  example: string;
  /** What to do about an empty file. */
  emptyHint: string;
  /** What to write instead of many aliases. */
  aliasHint: string;
}

export const VMFILE_KIND: YamlFileKind = {
  noun: 'Vmfile',
  describes: 'describes machines',
  example: '`box: tiny`',
  emptyHint: 'declare a machine, at least `box: tiny` (or run `vm init --force`)',
  aliasHint: 'use `defaults:` for settings shared by machines instead of many aliases',
};

export function parseVmfileText(text: string, file: string): ParsedVmfile {
  return parseYamlFile(text, file, VMFILE_KIND);
}

/** Parses one YAML file of `kind`; problems carry file:line:col. */
export function parseYamlFile(text: string, file: string, kind: YamlFileKind): ParsedVmfile {
  const problems: Problem[] = [];
  const noun = kind.noun;
  const at = (line: number, col: number, message: string, severity: Problem['severity'] = 'error', hint?: string) =>
    problems.push({ severity, message, file, line, col, path: '', ...(hint ? { hint } : {}) });

  if (Buffer.byteLength(text) > MAX_VMFILE_BYTES) {
    at(1, 1, `the ${noun} is larger than ${MAX_VMFILE_BYTES / 1024} KiB; a ${noun} ${kind.describes}, it does not hold data`);
    return { problems };
  }
  if (text.includes('\u0000')) {
    const offset = text.indexOf('\u0000');
    const before = text.slice(0, offset).split('\n');
    at(before.length, before.at(-1)!.length + 1, `the ${noun} contains a NUL byte: it is not a text file`);
    return { problems };
  }

  const lines = new LineCounter();
  let doc;
  try {
    // uniqueKeys: false because yaml compares each new key with every earlier one in its mapping
    // (quadratic: 93k env keys took minutes); duplicateKeys below does it with one set per mapping.
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, merge: true, strict: true });
  } catch (err) {
    // The parser recurses on nesting; a pathological document can exhaust the stack.
    at(1, 1, `the ${noun} could not be parsed as YAML: ${(err as Error).message}`);
    return { problems };
  }
  const source = new YamlSource(file, text, doc, lines);
  const pos = (offset: number | undefined) => source.position(offset ?? 0);

  for (const err of doc.errors) {
    const { line, col } = pos(err.pos[0]);
    at(line, col, yamlErrorMessage(err.code, err.message, '', noun));
  }
  for (const key of duplicateKeys(doc)) {
    const { line, col } = pos(key.range?.[0]);
    at(line, col, yamlErrorMessage('DUPLICATE_KEY', '', String(key.value), noun));
  }
  for (const warn of doc.warnings) {
    const { line, col } = pos(warn.pos[0]);
    // An unknown tag would silently turn into a plain string: say so loudly instead.
    const severity = warn.code === 'TAG_RESOLVE_FAILED' ? 'error' : 'warning';
    at(line, col, yamlErrorMessage(warn.code, warn.message, '', noun), severity);
  }
  if (problems.some((p) => p.severity === 'error')) return { source, problems };

  visit(doc, {
    Pair(_, pair) {
      const key = pair.key as Node | null;
      if (isScalar(key)) {
        if (key.value === '__proto__') {
          const { line, col } = pos(key.range?.[0]);
          at(line, col, `the key "__proto__" is not allowed in a ${noun}`);
        }
      } else if (key !== null) {
        const { line, col } = pos(key.range?.[0]);
        at(line, col, 'keys must be plain words, not lists or mappings');
      }
    },
  });
  if (problems.some((p) => p.severity === 'error')) return { source, problems };

  const contents = doc.contents as Node | null;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    at(1, 1, `the ${noun} is empty`, 'error', kind.emptyHint);
    return { source, problems };
  }
  if (!isMap(contents)) {
    const { line, col } = pos(contents.range?.[0]);
    const got = isSeq(contents) ? 'a list' : isAlias(contents) ? 'an alias' : 'a single value';
    at(line, col, `the top level of a ${noun} must be a mapping of keys such as ${kind.example}, not ${got}`);
    return { source, problems };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    let first: Node | undefined;
    visit(doc, {
      Alias(_, node) {
        first = node;
        return visit.BREAK;
      },
    });
    const { line, col } = pos(first?.range?.[0]);
    const message = /alias/i.test((err as Error).message)
      ? `the YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias uses), which is how an "alias bomb" exhausts memory`
      : `the ${noun} could not be read as data: ${(err as Error).message}`;
    at(line, col, message, 'error', /alias/i.test(message) ? kind.aliasHint : undefined);
    return { source, problems };
  }
  return { source, data: data as Record<string, unknown>, problems };
}

/**
 * Keys written a second time in the same mapping, each at its second (third, ...) occurrence, as yaml's
 * own uniqueKeys check reports them (scalar keys equal by value), in linear time.
 */
function duplicateKeys(doc: Document.Parsed): Scalar[] {
  const dups: Scalar[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = pair.key as Node | null;
        if (!isScalar(key)) continue;
        // Set equality is SameValueZero, yaml's is ===: they differ only for NaN, which yaml never finds equal.
        if (Number.isNaN(key.value)) continue;
        if (seen.has(key.value)) dups.push(key);
        else seen.add(key.value);
      }
    },
  });
  return dups;
}

/** yaml's message without its own " at line N, column M" (we prefix file:line:col) and in our words where it helps. */
function yamlErrorMessage(code: string, message: string, text: string, noun: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return `duplicate key ${JSON.stringify(text)}: each key may appear only once in a mapping`;
    case 'MULTIPLE_DOCS':
      return `a ${noun} holds a single YAML document: remove the second \`---\` and what follows, or merge it in`;
    case 'TAG_RESOLVE_FAILED':
      return `${message.split(' at line ')[0]!.replace(/^Unresolved tag/, 'unknown YAML tag')}: a ${noun} uses plain YAML values only`;
    default: {
      const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `YAML syntax error: ${first.charAt(0).toLowerCase()}${first.slice(1)}`;
    }
  }
}
