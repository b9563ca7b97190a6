// Engines by name. Each is loaded on first use, so commands that never start a machine load no engine code.
import type { Engine } from './engine.js';
import type { EngineName } from '../model/machine-config.js';

const cache = new Map<EngineName, Promise<Engine>>();

async function load(name: EngineName): Promise<Engine> {
  switch (name) {
    case 'builtin': {
      const { BuiltinEngine } = await import('./builtin/builtin-engine.js');
      return new BuiltinEngine();
    }
    case 'qemu': {
      const { qemuEngine } = await import('./qemu/index.js');
      return qemuEngine;
    }
    case 'libvirt': {
      const { libvirtEngine } = await import('./libvirt/index.js');
      return libvirtEngine;
    }
  }
}

export function getEngine(name: EngineName): Promise<Engine> {
  let e = cache.get(name);
  if (!e) {
    e = load(name);
    cache.set(name, e);
  }
  return e;
}
