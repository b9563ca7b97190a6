// Engines by name. Each is loaded on first use, so commands that never start a machine load no engine code.
import type { Engine } from './engine.js';
import type { EngineName } from '../model/machine-config.js';

/** What engines get from the host side (core says where these are). */
export interface EngineHost {
  /** Per-user folder for what holds for the whole host (the qemu engine's KVM probe verdict). */
  cacheDir?: string;
}

const engines = new Map<string, Promise<Engine>>();

async function load(name: EngineName, host: EngineHost): Promise<Engine> {
  switch (name) {
    case 'builtin': {
      const { BuiltinEngine } = await import('./builtin/builtin-engine.js');
      return new BuiltinEngine();
    }
    case 'qemu': {
      const { QemuEngine } = await import('./qemu/index.js');
      return new QemuEngine(host.cacheDir ? { cacheDir: host.cacheDir } : {});
    }
    case 'libvirt': {
      const { libvirtEngine } = await import('./libvirt/index.js');
      return libvirtEngine;
    }
  }
}

/** The engine object for `name` with `host`'s folders, made once per process for each. */
export function getEngine(name: EngineName, host: EngineHost = {}): Promise<Engine> {
  const key = `${name}\u0000${host.cacheDir ?? ''}`;
  let e = engines.get(key);
  if (!e) {
    e = load(name, host);
    engines.set(key, e);
  }
  return e;
}
