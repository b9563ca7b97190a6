// The Vmfile JSON Schema (schemas/vmfile.schema.json) and the validator precompiled from it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { validate } from './vmfile-validator.generated.js';

/** Absolute path of the schema file shipped with vm (same depth from src/ and dist/). */
export const VMFILE_SCHEMA_PATH = fileURLToPath(new URL('../../../schemas/vmfile.schema.json', import.meta.url));

export type SchemaNode = Record<string, unknown>;

/** The schema as JSON (for tooling and tests; validation uses the generated code). */
export function vmfileSchema(): SchemaNode {
  return JSON.parse(readFileSync(VMFILE_SCHEMA_PATH, 'utf8')) as SchemaNode;
}

type GeneratedValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * Validates plain Vmfile data against the schema, returning every error (allErrors) with the
 * failing schema node attached (verbose), which the error translator reads `x-expected` from.
 */
export function schemaErrors(data: unknown): ErrorObject[] {
  const v = validate as GeneratedValidator;
  v(data);
  return v.errors ?? [];
}
