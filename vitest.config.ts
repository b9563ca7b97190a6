import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects: everything once (end-to-end on the builtin engine), then the end-to-end suite again
// on the qemu engine (VM_E2E_ENGINE=qemu; skipped where qemu is not installed).
//
// Test files run in parallel, at least two at a time. vitest's own default is one fewer than the
// CPUs, which on a 2-CPU host (CI) means one file at a time: most of the suite's time is one
// machine booting and being driven, one core busy and the other waiting, so two files at a time
// take about half the time there. Each file is its own process and every test makes its own temp
// project, VM_HOME, runtime dir, ports (picked by the OS), private network and libvirt pool names,
// so no two files share anything they would race on.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e-qemu', include: ['test/e2e/**/*.test.ts'], env: { VM_E2E_ENGINE: 'qemu' } } },
    ],
  },
});
