// Type guards for Vmfile data that the schema may have rejected: checks run on everything anyway
// (all problems are reported together), so each reads values defensively.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

export const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const asInteger = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
export const asBoolean = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** YAML scalars as the text a process receives: `8080` -> "8080", `true` -> "true". */
export function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** A host path from the Vmfile: relative to the Vmfile's folder, `~` and `~/...` meaning the home folder. */
export function resolveHostPath(projectDir: string, p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(projectDir, p);
}

/** A user's string inside a message: quoted, and cut when long so the message stays readable. */
export function quote(s: string, max = 80): string {
  return JSON.stringify(clip(s, max));
}

export function clip(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}
