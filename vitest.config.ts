import { defineConfig } from 'vitest/config';

// Two projects: everything once (end-to-end on the builtin engine), then the end-to-end suite again
// on the qemu engine (VM_E2E_ENGINE=qemu; skipped where qemu is not installed).
//
// One test file at a time on a 2-CPU host (vitest's default: one fewer than the CPUs). Two at a time
// took well under half the time, but the one full run with it failed: a 2-hart qemu TCG boot
// (test/engine/qemu-engine.test.ts) hung after the kernel's first console lines while another file
// ran beside it, which serial runs have never shown. Parallel files wait until that is understood.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e-qemu', include: ['test/e2e/**/*.test.ts'], env: { VM_E2E_ENGINE: 'qemu' } } },
    ],
  },
});
