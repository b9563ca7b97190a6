// `vm export --to kubevirt`: the manifests for the bundled tiny box (golden file, reviewed once;
// VM_UPDATE_GOLDEN=1 rewrites it), every VirtualMachine validated against KubeVirt v1.6.2's
// published CRD schema (vendor/README.md), what cannot be translated listed at the top and on
// stderr, and the CLI end to end.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { kubevirtManifests, kubevirtYaml } from '../../../../src/core/export/kubevirt.js';
import type { MachineConfig } from '../../../../src/model/machine-config.js';
import { riscvConfig, x86Config } from '../../engines/qemu/machine-fixture.js';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const UPDATE = process.env.VM_UPDATE_GOLDEN === '1';
const GiB = 1024 ** 3;
const RUN = fileURLToPath(new URL('../../../../bin/run.js', import.meta.url));

const schema = JSON.parse(readFileSync(join(HERE, 'vendor/kubevirt-virtualmachine-v1.6.2.json'), 'utf8')) as object;
// the CRD schema uses Kubernetes' own keywords (x-kubernetes-*, nullable): known, not checked
const ajv = new Ajv({ strict: false, allErrors: true });
const validateVm = ajv.compile(schema);

function rootImage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vm-kv-'));
  const f = join(dir, 'root.img');
  writeFileSync(f, Buffer.alloc(3 * 1024 * 1024));
  return f;
}

function withRoot(c: MachineConfig, path: string): MachineConfig {
  return { ...c, box: { ...c.box, rootDisk: { ...c.box.rootDisk!, path } } };
}

function expectValid(objects: Record<string, unknown>[]): void {
  for (const o of objects.filter((x) => x.kind === 'VirtualMachine')) {
    const ok = validateVm(o);
    expect(ok ? [] : validateVm.errors).toEqual([]);
  }
}

describe('kubevirt manifests', () => {
  const img = rootImage();
  const web = withRoot(
    x86Config({
      cpus: 2,
      memoryBytes: GiB,
      disks: [{ name: 'data', sizeBytes: 2 * GiB, path: '/home/dev/web/.vm/machines/web/disk-data.img', format: 'raw' }],
      nics: [{ type: 'nat', mac: '52:54:00:aa:bb:01' }, { type: 'private', network: 'backend', mac: '52:54:00:aa:bb:02', ip: '192.168.50.10' }],
      forwards: [{ guest: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'tcp' }, { guest: 53, host: 5353, hostIp: '127.0.0.1', protocol: 'udp' }],
      syncedFolders: [{ hostPath: '/home/dev/web', guestPath: '/vagrant', readOnly: false, tag: 'vm0' }],
      provision: [{ type: 'shell', name: 'shell-1', run: 'once', script: 'echo hi', args: [], env: {} }],
    }),
    img,
  );

  it('match the golden file, validate against the KubeVirt CRD schema, and list what they leave out', async () => {
    const exp = kubevirtManifests([web], { diskUrl: 'https://boxes.example/tiny-x86_64/root.img', kernelImage: 'registry.example/tiny-x86_64-kernel:0.1.0' });
    expectValid(exp.objects);
    expect(exp.untranslated).toEqual([
      'machine web: CDI imports https://boxes.example/tiny-x86_64/root.img without checking it: compare the imported disk with sha256 0000000000000000000000000000000000000000000000000000000000000000 (annotation vm/box-root-sha256)',
      'machine web: network card 2 on private network "backend" has no cluster equivalent here (a Multus NetworkAttachmentDefinition is the cluster\'s way): not exported',
      'machine web: synced folder /home/dev/web -> /vagrant is a 9p share of this host\'s folder: a cluster cannot mount it; copy the files in with a provisioner or a volume',
      'machine web: provisioners (shell-1) run through vm\'s guest agent; box tiny-x86_64 does not declare cloud-init, so they are not in the manifests: run them once the machine is up',
    ]);
    const text = await kubevirtYaml(exp, '/home/dev/web/Vmfile');
    const file = join(HERE, 'golden/kubevirt-x86_64-full.yaml');
    if (UPDATE || !existsSync(file)) {
      mkdirSync(join(HERE, 'golden'), { recursive: true });
      writeFileSync(file, text);
    }
    expect(text).toBe(readFileSync(file, 'utf8'));
    const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => d.kind)).toEqual(['VirtualMachine', 'Service']);
    expect(text.split('\n').slice(0, 3)).toEqual(['# vm export --to kubevirt, from /home/dev/web/Vmfile', expect.any(String), '# Not translated:']);
  });

  it('a containerDisk root; a riscv64 box is exported and said not to boot there', () => {
    const exp = kubevirtManifests([withRoot(riscvConfig(), img)], { image: 'registry.example/tiny-root:0.1.0' });
    expectValid(exp.objects);
    const vm = exp.objects[0] as { spec: { template: { spec: { volumes: unknown[]; architecture?: string } } } };
    expect(vm.spec.template.spec.volumes).toEqual([{ name: 'root', containerDisk: { image: 'registry.example/tiny-root:0.1.0' } }]);
    expect(vm.spec.template.spec.architecture).toBeUndefined();
    expect(exp.untranslated[0]).toBe('machine web: its box is riscv64; KubeVirt runs amd64, arm64 and s390x guests, so this VirtualMachine will not boot until the box has a build for one of them');
  });

  it('disk_size sizes the DataVolume CDI imports the root image into; a containerDisk cannot take it and says so', () => {
    const sized = { ...withRoot(riscvConfig(), img), rootDiskBytes: 20 * GiB };
    const dv = kubevirtManifests([sized], { diskUrl: 'https://boxes.example/root.img' });
    expectValid(dv.objects);
    const spec = (dv.objects[0] as { spec: { dataVolumeTemplates: { spec: { storage: { resources: { requests: { storage: string } } } } }[] } }).spec;
    expect(spec.dataVolumeTemplates[0]!.spec.storage.resources.requests.storage).toBe('20Gi');
    const cd = kubevirtManifests([sized], { image: 'registry.example/tiny-root:0.1.0' });
    expect(cd.untranslated).toContain('machine web: disk_size is not applied: a containerDisk is the image\'s size (--disk-url imports it into a DataVolume of disk_size)');
  });

  it('the schema check is real: a wrong type or an unknown domain key fails it', () => {
    const exp = kubevirtManifests([withRoot(riscvConfig(), img)], { image: 'x' });
    const vm = structuredClone(exp.objects[0]) as { spec: { template: { spec: { domain: Record<string, unknown> } } } };
    vm.spec.template.spec.domain.cpu = { cores: 'two' };
    vm.spec.template.spec.domain.sockets9p = {};
    expect(validateVm(vm)).toBe(false);
    expect(validateVm.errors?.map((e) => `${e.instancePath} ${e.message}`).sort()).toEqual([
      '/spec/template/spec/domain must NOT have additional properties',
      '/spec/template/spec/domain/cpu/cores must be integer',
    ]);
  });

  it('refuses to guess where the root disk comes from', () => {
    expect(() => kubevirtManifests([withRoot(riscvConfig(), img)], {})).toThrow("machine web's box has a root disk: say where the cluster gets it");
    expect(() => kubevirtManifests([withRoot(riscvConfig(), img)], { image: 'a', diskUrl: 'b' })).toThrow('--image and --disk-url both give the root disk; choose one');
  });

  it.skipIf(!existsSync(join(HERE, '../../../../dist/cli/commands/export.js')))('vm export --to kubevirt on the CLI: manifests on stdout, the gaps on stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-export-'));
    writeFileSync(join(dir, 'Vmfile'), 'box: {name: tiny}\nforwards:\n  - {guest: 80, host: 8080}\nsynced_folders:\n  - {host: ., guest: /vagrant}\n');
    const r = spawnSync(process.execPath, [RUN, 'export', '--to', 'kubevirt', '--image', 'registry.example/tiny:0.3.0', '--kernel-image', 'registry.example/tiny-kernel:0.3.0'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => d.kind)).toEqual(['VirtualMachine', 'Service']);
    expectValid(docs);
    expect(r.stderr).toContain('Not translated: machine default: synced folder');
    expect(r.stdout).toContain('#  - machine default: synced folder');
    const bad = spawnSync(process.execPath, [RUN, 'export', '--to', 'kubevirt'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("Error: machine default's box has a root disk: say where the cluster gets it");
  });
});
