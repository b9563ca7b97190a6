// The riscv64 Debian box booted with `vm up` to agent-ready, provisioned and checked
// (helpers/debian-box-suite.ts says what). One boot per engine: the main project boots it on
// builtin, the e2e-qemu project on qemu.
// The box: VM_TEST_DEBIAN_BOX=PATH (a .box archive or a store folder from `vm box build
// boxes/debian-13` or `boxes/debian-13/box-recipe-x86_64.yaml`; its name and architecture are what
// `vm box add` reports; an x86_64 one boots on qemu only), or else the riscv64 box built here from
// boxes/debian-13 once per host and kept keyed by the recipe's hash (helpers/debian-box.ts; skipped,
// with the reason, where the host cannot build it). VM_TEST_DEBIAN_ENGINE=builtin|qemu boots it on
// that engine only, in the main project.
import { debianBoxSource } from './helpers/debian-box.js';
import { debianBoxSuite } from './helpers/debian-box-suite.js';
import { ENGINE_PRESENT } from './helpers/vm-cli.js';

const CHOSEN = process.env.VM_TEST_DEBIAN_ENGINE;
const ENGINE: 'builtin' | 'qemu' = CHOSEN === 'builtin' || CHOSEN === 'qemu' ? CHOSEN : process.env.VM_E2E_ENGINE === 'qemu' ? 'qemu' : 'builtin';
const source = await debianBoxSource();
const skip =
  'skip' in source
    ? source.skip
    : CHOSEN && process.env.VM_E2E_ENGINE === 'qemu'
      ? `VM_TEST_DEBIAN_ENGINE=${CHOSEN} runs it in the main project only`
      : !ENGINE_PRESENT
        ? 'qemu-system-riscv64 and qemu-img are not installed'
        : undefined;

// The checks after the boot's end are the box's, not the engine's, and the rest of the boot takes
// minutes under the builtin CPU: the default run makes them on qemu, VM_TEST_DEBIAN_ENGINE=builtin
// makes them there.
debianBoxSuite({ source, engine: ENGINE, skip, settle: ENGINE === 'qemu' || CHOSEN === 'builtin' });
