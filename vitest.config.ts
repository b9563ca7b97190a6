import { defineConfig } from 'vitest/config';

// Two projects: everything once (end-to-end on the builtin engine), then the end-to-end suite again
// on the qemu engine (VM_E2E_ENGINE=qemu; skipped where qemu is not installed).
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
