// The x86_64 Debian box (boxes/debian-13/box-recipe-x86_64.yaml) booted with `vm up` on qemu to
// agent-ready, provisioned and checked like the riscv64 one (helpers/debian-box-suite.ts says what).
// qemu only (the builtin engine is a riscv64 machine): it runs in the e2e-qemu project, or in the main
// project with VM_TEST_DEBIAN_ENGINE=qemu. The box: VM_TEST_DEBIAN_X86_64_BOX=PATH (a .box archive or
// a store folder), or else built here once per host and kept keyed by the recipe's hash
// (helpers/debian-box.ts; skipped, with the reason, where the host cannot build it). On an x86_64
// host the build needs no binfmt, and qemu uses KVM where its probe finds it working, TCG otherwise.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { debianBoxSource, X86_64 } from './helpers/debian-box.js';
import { debianBoxSuite } from './helpers/debian-box-suite.js';

const onPath = (bin: string): boolean => (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, bin)));
const CHOSEN = process.env.VM_TEST_DEBIAN_ENGINE;
const inQemuProject = process.env.VM_E2E_ENGINE === 'qemu';
const skip =
  inQemuProject && CHOSEN
    ? `VM_TEST_DEBIAN_ENGINE=${CHOSEN} runs the Debian boxes in the main project only`
    : !inQemuProject && CHOSEN !== 'qemu'
      ? 'qemu only: the e2e-qemu project runs it (or VM_TEST_DEBIAN_ENGINE=qemu in the main project)'
      : !onPath('qemu-system-x86_64') || !onPath('qemu-img')
        ? 'qemu-system-x86_64 and qemu-img are not installed (apt packages qemu-system-x86, qemu-utils)'
        : undefined;
// The box is looked for (or its build checked) only where the suite runs.
const source = skip === undefined ? await debianBoxSource(X86_64) : { skip };

debianBoxSuite({ source, engine: 'qemu', skip: 'skip' in source ? source.skip : undefined, settle: true });
