// Synced folders and provisioners: host paths made absolute and checked, scripts read, names and tags unique.
import { readFileSync, statSync, type Stats } from 'node:fs';
import type { ProvisionerConfig, ProvisionRun, SyncedFolderConfig } from '../../model/machine-config.js';
import { DEFAULT_PROVISION_RUN, MAX_SCRIPT_BYTES } from './defaults.js';
import type { Located } from './machine-sources.js';
import { envVars } from './env-vars.js';
import { tagForGuestPath, trimSlashes, uniqueTag } from './names.js';
import type { YamlPath } from './problem.js';
import type { Reporter } from './reporter.js';
import { asBoolean, asString, clip, isRecord, quote, resolveHostPath, scalarText } from './values.js';

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** A synced folder and where its guest path is written (engine-limits.ts checks it against the engines). */
export interface DraftSyncedFolder {
  config: SyncedFolderConfig;
  guestPathAt: YamlPath;
}

export function normalizeSyncedFolders(items: Located[], projectDir: string, report: Reporter): DraftSyncedFolder[] {
  const folders: (SyncedFolderConfig & { tagGiven: boolean; path: YamlPath })[] = [];
  const guestPaths = new Map<string, YamlPath>();
  const tags = new Map<string, YamlPath>();
  for (const item of items) {
    if (!isRecord(item.value)) continue;
    const host = asString(item.value.host);
    const guest = asString(item.value.guest);
    if (host === undefined || host === '' || guest === undefined || !guest.startsWith('/')) continue;

    const hostPath = resolveHostPath(projectDir, host);
    const st = statOrUndefined(hostPath);
    if (!st) {
      report.error([...item.path, 'host'], `synced folder ${quote(host)} does not exist (looked for ${clip(hostPath)})`, {
        hint: 'create the folder, or fix the path (relative paths start at the Vmfile\'s folder)',
      });
      continue;
    }
    if (!st.isDirectory()) {
      report.error([...item.path, 'host'], `synced folder ${quote(host)} is a file, not a folder (${clip(hostPath)})`);
      continue;
    }
    const guestPath = `/${trimSlashes(guest)}`;
    const sameGuest = guestPaths.get(guestPath);
    if (sameGuest) {
      report.error([...item.path, 'guest'], `guest path ${clip(guestPath)} already has a synced folder (${report.where(sameGuest)})`);
      continue;
    }
    guestPaths.set(guestPath, [...item.path, 'guest']);

    const tag = asString(item.value.tag);
    if (tag !== undefined) {
      const sameTag = tags.get(tag);
      if (sameTag) {
        report.error([...item.path, 'tag'], `tag ${quote(tag)} is already used by the synced folder at ${report.where(sameTag)}`);
        continue;
      }
      tags.set(tag, [...item.path, 'tag']);
    }
    folders.push({ hostPath, guestPath, readOnly: asBoolean(item.value.read_only) ?? false, tag: tag ?? '', tagGiven: tag !== undefined, path: item.path });
  }
  // Derived tags yield to the ones written out, whatever their order.
  const taken = new Set(tags.keys());
  return folders.map(({ tagGiven, path, ...f }) => {
    const tag = tagGiven ? f.tag : uniqueTag(tagForGuestPath(f.guestPath), taken);
    taken.add(tag);
    return { config: { ...f, tag }, guestPathAt: [...path, 'guest'] };
  });
}

const RUNS: readonly ProvisionRun[] = ['once', 'always', 'never'];

export function normalizeProvision(items: Located[], projectDir: string, report: Reporter): ProvisionerConfig[] {
  const explicitNames = new Set(items.map((i) => (isRecord(i.value) ? asString(i.value.name) : undefined)).filter((n) => n !== undefined));
  const names = new Map<string, YamlPath>();
  const out: ProvisionerConfig[] = [];
  items.forEach((item, index) => {
    if (!isRecord(item.value)) return;
    const v = item.value;
    if (v.type !== 'shell' && v.type !== 'file') return;
    const run = RUNS.includes(v.run as ProvisionRun) ? (v.run as ProvisionRun) : (DEFAULT_PROVISION_RUN as ProvisionRun);

    let name = asString(v.name);
    if (name !== undefined) {
      const first = names.get(name);
      if (first) {
        report.error([...item.path, 'name'], `provisioner name ${quote(name)} is already used by the provisioner at ${report.where(first)}`);
        return;
      }
    } else {
      name = `${v.type}-${index + 1}`;
      for (let n = 2; explicitNames.has(name) || names.has(name); n++) name = `${v.type}-${index + 1}-${n}`;
    }
    names.set(name, name === v.name ? [...item.path, 'name'] : item.path);

    if (v.type === 'file') {
      const source = asString(v.source);
      const destination = asString(v.destination);
      if (source === undefined || source === '' || destination === undefined || !destination.startsWith('/')) return;
      const sourcePath = resolveHostPath(projectDir, source);
      if (!statOrUndefined(sourcePath)) {
        report.error([...item.path, 'source'], `file to provision ${quote(source)} does not exist (looked for ${clip(sourcePath)})`);
        return;
      }
      out.push({ type: 'file', name, run, source: sourcePath, destination });
      return;
    }

    const script = shellScript(v, item.path, projectDir, report);
    if (script === undefined) return;
    const args: string[] = [];
    if (Array.isArray(v.args)) {
      v.args.forEach((a, i) => {
        const text = scalarText(a);
        if (text === undefined) return;
        if (text.includes('\u0000')) report.error([...item.path, 'args', i], 'an argument cannot contain a NUL character: no program can receive it');
        else args.push(text);
      });
    }
    const scriptEnv = isRecord(v.env)
      ? envVars(new Map(Object.entries(v.env).map(([k, val]) => [k, { value: val, path: [...item.path, 'env', k] }])), report)
      : {};
    out.push({ type: 'shell', name, run, ...script, args, env: scriptEnv });
  });
  return out;
}

function shellScript(v: Record<string, unknown>, path: YamlPath, projectDir: string, report: Reporter): { script: string; path?: string } | undefined {
  const inline = asString(v.inline);
  const file = asString(v.path);
  if (inline !== undefined && file !== undefined) {
    report.error([...path, 'path'], 'a shell provisioner takes either "inline" or "path", not both', { key: true });
    return undefined;
  }
  if (inline !== undefined) return { script: inline };
  if (file === undefined || file === '') {
    if (v.inline === undefined && v.path === undefined) {
      report.error(path, 'a shell provisioner needs "inline" (the script itself) or "path" (a script file)');
    }
    return undefined;
  }
  const scriptPath = resolveHostPath(projectDir, file);
  const st = statOrUndefined(scriptPath);
  if (!st) {
    report.error([...path, 'path'], `provision script ${quote(file)} does not exist (looked for ${clip(scriptPath)})`);
    return undefined;
  }
  if (!st.isFile()) {
    report.error([...path, 'path'], `provision script ${quote(file)} is not a file (${clip(scriptPath)})`);
    return undefined;
  }
  if (st.size > MAX_SCRIPT_BYTES) {
    report.error([...path, 'path'], `provision script ${quote(file)} is larger than 1 MiB; put big files in a synced folder and run them from a small script`);
    return undefined;
  }
  try {
    return { script: readFileSync(scriptPath, 'utf8'), path: scriptPath };
  } catch (err) {
    report.error([...path, 'path'], `provision script ${quote(file)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}
