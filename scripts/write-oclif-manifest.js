#!/usr/bin/env node
// Writes oclif.manifest.json after a build so the CLI starts without importing every command
// (`vm status` must not load engine code). Run by `npm run build` / `prepare`.
import { Config } from '@oclif/core';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// A stale manifest would be read back even with ignoreManifest, hiding new commands.
rmSync(join(root, 'oclif.manifest.json'), { force: true });
const config = await Config.load({ root, ignoreManifest: true });
const plugin = config.plugins.get(config.pjson.name);
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest));
