// ajv errors -> problems a person can act on: file:line:col, what was expected, "did you mean".
import type { ErrorObject } from 'ajv';
import { formatPath, type Problem, type YamlPath } from './problem.js';
import type { SchemaNode } from './schema.js';
import { closest } from './suggest.js';
import type { YamlSource } from './yaml-source.js';

/** `/machines/web/memory` -> ['machines', 'web', 'memory'] (numbers for list indexes). */
export function pointerToPath(pointer: string, data: unknown): YamlPath {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

/** `whole` names the document in messages about its top level ("the Vmfile is missing ..."). */
export function schemaProblems(errors: ErrorObject[], data: unknown, source: YamlSource, whole = 'the Vmfile'): Problem[] {
  const problems: Problem[] = [];
  const requiredAt = new Set(errors.filter((e) => e.keyword === 'required').map((e) => `${e.instancePath}\u0000${(e.params as { missingProperty: string }).missingProperty}`));

  for (const e of errors) {
    const path = pointerToPath(e.instancePath, data);
    const where = formatPath(path);
    const parent = (e.parentSchema ?? {}) as SchemaNode;
    const expected = typeof parent['x-expected'] === 'string' ? (parent['x-expected'] as string) : undefined;
    const add = (p: YamlPath, message: string, opts: { key?: boolean; hint?: string } = {}) => {
      const { line, col } = source.locate(p, { key: opts.key });
      problems.push({ severity: 'error', message, file: source.file, line, col, path: formatPath(p), ...(opts.hint ? { hint: opts.hint } : {}) });
    };

    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((parent.properties ?? {}) as SchemaNode);
        const guess = closest(key, allowed);
        add([...path, key], `unknown key ${describe(key)}${where ? ` in ${where}` : ''}${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}`, {
          key: true,
          hint: guess ? undefined : `allowed here: ${allowed.join(', ')}`,
        });
        break;
      }
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        add(path, `${where || whole} is missing the required key ${JSON.stringify(missing)}`);
        break;
      }
      case 'discriminator': {
        const { tag, tagValue } = e.params as { tag: string; tagValue?: unknown };
        if (tagValue === undefined && requiredAt.has(`${e.instancePath}\u0000${tag}`)) break;
        const options = discriminatorValues(parent);
        const guess = typeof tagValue === 'string' ? closest(tagValue, options) : undefined;
        add([...path, tag], `${formatPath([...path, tag])} must be one of ${options.join(', ')}; got ${describe(tagValue)}${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}`);
        break;
      }
      case 'propertyNames':
        // Reported by the failing keyword inside propertyNames, which carries the name.
        break;
      case 'enum': {
        const options = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
        const guess = typeof e.data === 'string' ? closest(e.data, options) : undefined;
        add(path, `${where} must be one of ${options.join(', ')}; got ${describe(e.data)}${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}`);
        break;
      }
      case 'type': {
        const types = [(e.params as { type: string | string[] }).type].flat();
        add(path, `${where} must be ${expected ?? types.map(typeName).join(' or ')}; got ${describe(e.data)}`);
        break;
      }
      default: {
        const name = (e as ErrorObject & { propertyName?: string }).propertyName;
        if (name !== undefined) {
          add([...path, name], `${describe(name)} is not a valid key in ${where || whole}: expected ${expected ?? e.message}`, { key: true });
        } else if (expected) {
          add(path, `${where} must be ${expected}; got ${describe(e.data)}`);
        } else {
          add(path, `${where} ${e.message ?? 'is not valid'}`);
        }
      }
    }
  }
  return problems;
}

function discriminatorValues(parent: SchemaNode): string[] {
  const branches = (parent.oneOf ?? []) as SchemaNode[];
  return branches
    .map((b) => ((b.properties as SchemaNode | undefined)?.type as SchemaNode | undefined)?.const)
    .filter((v): v is string => typeof v === 'string');
}

function typeName(t: string): string {
  switch (t) {
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'string':
      return 'text';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping of keys';
    case 'null':
      return 'empty';
    default:
      return t;
  }
}

/** How a YAML value reads back to its author: strings quoted, lists and mappings by kind. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
