// One meaning per short flag across the CLI, and --file/--json defined once (src/cli/flags.ts) rather
// than copied into each command.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileFlag, jsonFlag } from '../../../src/cli/flags.js';

const COMMANDS = join(import.meta.dirname, '../../../src/cli/commands');

type FlagDef = { name?: string; char?: string; description?: string; env?: string };
type CommandClass = { flags?: Record<string, FlagDef> };

async function commands(): Promise<[string, Record<string, FlagDef>][]> {
  const files = readdirSync(COMMANDS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort();
  const out: [string, Record<string, FlagDef>][] = [];
  for (const f of files) {
    const mod = (await import(join(COMMANDS, f))) as { default: CommandClass };
    out.push([relative(COMMANDS, join(COMMANDS, f)).replace(/\.ts$/, ''), mod.default.flags ?? {}]);
  }
  return out;
}

describe('command-line flags', () => {
  it('each short flag means one long flag in every command (-f is --file)', async () => {
    const meaning = new Map<string, Set<string>>();
    for (const [, flags] of await commands()) {
      for (const [name, def] of Object.entries(flags)) {
        if (!def.char) continue;
        meaning.set(def.char, (meaning.get(def.char) ?? new Set()).add(name));
      }
    }
    expect(Object.fromEntries([...meaning].map(([c, names]) => [c, [...names]]))).toMatchObject({ f: ['file'] });
    for (const [c, names] of meaning) expect([c, [...names]]).toEqual([c, [...names].slice(0, 1)]);
  }, 60_000);

  it('--file and --json are the shared definitions wherever they appear (init writes a Vmfile: its own)', async () => {
    const shared = { file: fileFlag, json: jsonFlag };
    let files = 0;
    let jsons = 0;
    for (const [name, flags] of await commands()) {
      if (flags.file && name !== 'init') {
        expect([name, flags.file.description, flags.file.env]).toEqual([name, shared.file.description, shared.file.env]);
        files++;
      }
      if (flags.json) {
        expect([name, flags.json.description]).toEqual([name, shared.json.description]);
        jsons++;
      }
    }
    expect(files).toBeGreaterThanOrEqual(10);
    expect(jsons).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
