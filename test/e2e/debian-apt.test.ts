// `apt-get install` in the debian-13 box through the qemu engine's user-mode NAT: the guest resolves
// and reaches the Debian archive the host reaches, installs a small package, and its binary runs.
// Opt-in and not part of the default (loopback-only) suite, because it needs the Internet:
// VM_E2E_APT=1 and VM_TEST_DEBIAN_BOX=PATH (the built box: a .box archive or a store folder, from
// `vm box build boxes/debian-13`). Runs in the main project only (it picks the qemu engine itself).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, Project, show } from './helpers/vm-cli.js';

const BOX = process.env.VM_TEST_DEBIAN_BOX;
const OPTED_IN = process.env.VM_E2E_APT === '1';
const onPath = (bin: string): boolean => (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, bin)));
const QEMU = onPath('qemu-system-riscv64') && onPath('qemu-img');
/** GNU hello: small (tens of KB), in every Debian release, and its output is fixed. */
const PACKAGE = 'hello';

describe.skipIf(!OPTED_IN || !BOX || !BUILT || !QEMU || process.env.VM_E2E_ENGINE === 'qemu')(
  'apt-get install in debian-13 on qemu (opt-in: VM_E2E_APT=1 VM_TEST_DEBIAN_BOX=PATH; needs the Internet)',
  () => {
    let p: Project;
    beforeAll(async () => {
      p = new Project('debian-apt', '');
      // Written directly: Project's writeVmfile takes the engine from VM_E2E_ENGINE, and this test wants qemu.
      writeFileSync(join(p.dir, 'Vmfile'), 'box: debian-13\nengine: qemu\nmemory: 1G\nboot_timeout: 5m\n');
      const added = await p.run(['box', 'add', BOX!], { timeoutMs: 600_000 });
      expect(added.code, show(added)).toBe(0);
    }, 700_000);
    afterAll(async () => {
      await p?.cleanup();
    });

    it(`installs ${PACKAGE} from the Debian archive and runs it`, async () => {
      const up = await p.run(['up'], { timeoutMs: 600_000 });
      expect(up.code, show(up)).toBe(0);
      const ssh = (cmd: string, timeoutMs = 300_000) => p.run(['ssh', '-c', cmd], { timeoutMs });
      expect((await ssh(`command -v ${PACKAGE} || echo absent`)).stdout.trim()).toBe('absent');
      // The lists are not in the box (mmdebstrap removes them): update first, as a user would.
      const install = await ssh(`apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${PACKAGE}`, 900_000);
      expect(install.code, show(install)).toBe(0);
      const hello = await ssh(PACKAGE);
      expect(hello.code, show(hello)).toBe(0);
      expect(hello.stdout.trim()).toBe('Hello, world!');
      expect((await ssh(`dpkg-query -W -f '\${Status}' ${PACKAGE}`)).stdout).toBe('install ok installed');
    }, 1_600_000);
  },
);
