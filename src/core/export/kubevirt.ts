// `vm export --to kubevirt`: a Vmfile's machines as the objects a KubeVirt cluster takes
// (https://kubevirt.io/api-reference/, kubevirt.io/v1; CDI's DataVolume). Configs and options in
// (only the root image's size is read from disk), objects and the list of what could not be
// translated out; the command writes the YAML.
// What a cluster cannot express is never dropped silently: each item is listed at the top of the
// output and on stderr.
//
// Translation:
// - a VirtualMachine per machine, runStrategy Always, cpu cores, guest memory, the pod network with
//   masquerade (the cluster's NAT, as the Vmfile's nat card);
// - the root disk: a containerDisk image (--image) or a DataVolume importing the box's root image
//   over http (--disk-url; CDI's http source has no checksum field, so the box's checksum goes in an
//   annotation and the comment says it is not enforced); extra disks: blank DataVolumes;
// - the box's kernel and initrd: firmware.kernelBoot from a container image holding them
//   (--kernel-image), with the same kernel command line the other engines pass;
// - forwards: a Service selecting the machine's pod, port = host port, targetPort = guest port.
import { statSync } from 'node:fs';
import type { MachineConfig } from '../../model/machine-config.js';
import { guestParams } from '../../engines/guest-params.js';
import { UserError } from '../errors.js';

export interface KubevirtOptions {
  /** Container image holding the root disk (a KubeVirt containerDisk). */
  image?: string;
  /** http(s) URL of the box's root image, imported by CDI into a DataVolume. */
  diskUrl?: string;
  /** Container image holding the box's kernel and initrd under /boot (firmware.kernelBoot). */
  kernelImage?: string;
}

export interface KubevirtExport {
  objects: Record<string, unknown>[];
  /** Things of the Vmfile the manifests do not carry, one sentence each. */
  untranslated: string[];
}

const MiB = 1024 * 1024;
/** Architectures KubeVirt runs guests of (spec.template.spec.architecture), by vm's names. */
const KUBEVIRT_ARCH: Record<string, string | undefined> = { x86_64: 'amd64' };

/** A Kubernetes object name (RFC 1123 label) from a machine name. */
export function k8sName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'machine';
}

const quantity = (bytes: number): string => (bytes % (1024 * MiB) === 0 ? `${bytes / (1024 * MiB)}Gi` : `${Math.ceil(bytes / MiB)}Mi`);

export function kubevirtManifests(machines: MachineConfig[], o: KubevirtOptions): KubevirtExport {
  if (o.image && o.diskUrl) throw new UserError('--image and --disk-url both give the root disk; choose one');
  const objects: Record<string, unknown>[] = [];
  const untranslated: string[] = [];
  for (const c of machines) {
    const name = k8sName(c.name);
    const labels = { 'app.kubernetes.io/managed-by': 'vm', 'vm.machine': name };
    const note = (what: string): void => void untranslated.push(`machine ${c.name}: ${what}`);
    const arch = KUBEVIRT_ARCH[c.arch];
    if (!arch) note(`its box is ${c.arch}; KubeVirt runs amd64, arm64 and s390x guests, so this VirtualMachine will not boot until the box has a build for one of them`);

    const disks: Record<string, unknown>[] = [];
    const volumes: Record<string, unknown>[] = [];
    const dataVolumeTemplates: Record<string, unknown>[] = [];
    if (c.box.rootDisk) {
      disks.push({ name: 'root', disk: { bus: 'virtio' } });
      if (o.image) {
        volumes.push({ name: 'root', containerDisk: { image: o.image } });
        if (c.rootDiskBytes !== undefined) note(`disk_size is not applied: a containerDisk is the image's size (--disk-url imports it into a DataVolume of disk_size)`);
      } else if (o.diskUrl) {
        dataVolumeTemplates.push({
          metadata: { name: `${name}-root`, annotations: { 'vm/box-root-sha256': c.box.rootDisk.sha256 } },
          spec: { source: { http: { url: o.diskUrl } }, storage: { resources: { requests: { storage: quantity(Math.max(statSync(c.box.rootDisk.path).size, c.rootDiskBytes ?? 0)) } } } },
        });
        volumes.push({ name: 'root', dataVolume: { name: `${name}-root` } });
        note(`CDI imports ${o.diskUrl} without checking it: compare the imported disk with sha256 ${c.box.rootDisk.sha256} (annotation vm/box-root-sha256)`);
      } else {
        throw new UserError(`machine ${c.name}'s box has a root disk: say where the cluster gets it`, {
          hint: '--image REF (a containerDisk image holding the box\'s root image) or --disk-url URL (CDI imports it into a DataVolume)',
        });
      }
    }
    c.disks.forEach((d) => {
      const dv = `${name}-${k8sName(d.name)}`;
      disks.push({ name: `disk-${k8sName(d.name)}`, disk: { bus: 'virtio' } });
      volumes.push({ name: `disk-${k8sName(d.name)}`, dataVolume: { name: dv } });
      dataVolumeTemplates.push({ metadata: { name: dv }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: quantity(d.sizeBytes) } } } } });
    });

    // the init's parameters for what is exported only: no mounts, no private addresses
    const exported = { ...c, syncedFolders: [], nics: c.nics.filter((n) => n.type === 'nat') };
    const cmdline = [c.cmdline.trim(), ...guestParams(exported, (m) => new UserError(m))].filter(Boolean).join(' ');
    const firmware = o.kernelImage
      ? {
          kernelBoot: {
            kernelArgs: cmdline,
            container: {
              image: o.kernelImage,
              kernelPath: `/boot/${c.box.kernel.split('/').pop()}`,
              ...(c.box.initrd ? { initrdPath: `/boot/${c.box.initrd.split('/').pop()}` } : {}),
            },
          },
        }
      : undefined;
    if (!firmware) note(`the box boots its own kernel and initrd; without --kernel-image (an image holding them under /boot) the cluster boots the root disk's bootloader, which the box may not have`);

    c.nics.forEach((n, i) => {
      if (n.type === 'private') note(`network card ${i + 1} on private network "${n.network}" has no cluster equivalent here (a Multus NetworkAttachmentDefinition is the cluster's way): not exported`);
    });
    c.syncedFolders.forEach((f) => note(`synced folder ${f.hostPath} -> ${f.guestPath} is a 9p share of this host's folder: a cluster cannot mount it; copy the files in with a provisioner or a volume`));
    if (c.provision.length > 0) {
      note(`provisioners (${c.provision.map((p) => p.name).join(', ')}) run through vm's guest agent; box ${c.box.name} does not declare cloud-init, so they are not in the manifests: run them once the machine is up`);
    }

    objects.push({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: {
        name,
        labels,
        annotations: { 'vm/vmfile': c.project.vmfile, 'vm/box': `${c.box.name} ${c.box.version}`, 'vm/box-checksum': c.box.checksum },
      },
      spec: {
        runStrategy: 'Always',
        ...(dataVolumeTemplates.length > 0 ? { dataVolumeTemplates } : {}),
        template: {
          metadata: { labels: { ...labels } },
          spec: {
            ...(arch ? { architecture: arch } : {}),
            hostname: c.hostname,
            domain: {
              cpu: { cores: c.cpus },
              memory: { guest: quantity(c.memoryBytes) },
              ...(firmware ? { firmware } : {}),
              devices: { disks, interfaces: [{ name: 'default', masquerade: {} }] },
            },
            networks: [{ name: 'default', pod: {} }],
            volumes,
          },
        },
      },
    });

    if (c.forwards.length > 0) {
      for (const f of c.forwards) {
        if (f.hostIp !== '127.0.0.1' && f.hostIp !== '0.0.0.0') note(`forward ${f.hostIp}:${f.host}: a Service has no host address; exported on the Service's port ${f.host}`);
      }
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `${name}-forwards`, labels: { ...labels } },
        spec: {
          selector: { 'vm.machine': name },
          ports: c.forwards.map((f) => ({ name: `${f.protocol}-${f.host}`, protocol: f.protocol.toUpperCase(), port: f.host, targetPort: f.guest })),
        },
      });
    }
  }
  return { objects, untranslated };
}

/** The manifests as one YAML stream, what was not translated as comments at the top. */
export async function kubevirtYaml(exp: KubevirtExport, vmfile: string): Promise<string> {
  const { stringify } = await import('yaml');
  const head = [`# vm export --to kubevirt, from ${vmfile}`, '# KubeVirt kubevirt.io/v1 VirtualMachines (with CDI DataVolumes) and Services for their forwards.'];
  if (exp.untranslated.length > 0) head.push('# Not translated:', ...exp.untranslated.map((u) => `#  - ${u}`));
  const docs = exp.objects.map((o) => stringify(o, { lineWidth: 0 }).trimEnd());
  return `${head.join('\n')}\n${docs.map((d) => `---\n${d}`).join('\n')}\n`;
}
