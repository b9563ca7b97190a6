// The ajv set-up our schemas are compiled with, and (development-time) the turning of
// schemas/vmfile.schema.json into a standalone validator module (vmfile-validator.generated.ts), so
// loading a Vmfile never compiles a schema (ajv compile takes 100-200 ms, too slow for `vm status`).
// test/unit/core/vmfile/schema.test.ts fails when it is stale and rewrites it with VM_UPDATE_GENERATED=1.
// A box recipe is compiled at run time (a build takes minutes) with the same options.
import { Ajv } from 'ajv';
import * as standaloneModule from 'ajv/dist/standalone/index.js';
import type { SchemaNode } from './schema.js';

type StandaloneCode = (ajv: Ajv, validate: ReturnType<Ajv['compile']>) => string;

/** The options the runtime error translator relies on: every error, with its failing schema node. */
export const AJV_OPTIONS = { allErrors: true, verbose: true, discriminator: true, allowUnionTypes: true, inlineRefs: false } as const;

/** An ajv that knows our schemas' annotations, with the options schemaProblems relies on. */
export function createAjv(extra: Partial<ConstructorParameters<typeof Ajv>[0]> = {}): Ajv {
  const ajv = new Ajv({ ...AJV_OPTIONS, ...extra });
  // Our annotation: how to say what a value should look like, in the user's words.
  ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
  return ajv;
}

export function generateValidatorSource(schema: SchemaNode): string {
  const ajv = createAjv({ code: { source: true, esm: true, lines: true } });
  // A CommonJS module: its default export arrives as `.default` or as the namespace itself.
  const mod = standaloneModule as unknown as { default: StandaloneCode | { default: StandaloneCode } };
  const code: StandaloneCode = typeof mod.default === 'function' ? mod.default : mod.default.default;
  const source = code(ajv, ajv.compile(schema));
  if (/require\(|import /.test(source)) {
    throw new Error('the generated validator needs ajv at run time (a minLength/maxLength/format keyword?); keep the schema to keywords that compile to plain code');
  }
  return `// @ts-nocheck\n// GENERATED from schemas/vmfile.schema.json by src/core/vmfile/schema-codegen.ts: do not edit.\n// Regenerate: VM_UPDATE_GENERATED=1 npx vitest run test/unit/core/vmfile/schema.test.ts\n${source}\n`;
}
