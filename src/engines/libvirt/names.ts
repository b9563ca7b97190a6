// Names a machine's libvirt objects carry. A libvirt host is shared by projects and users, so each
// domain name includes a digest of the project folder (two projects may both have a `web`), and the
// domain's metadata names the project and machine in full (domain-xml.ts) for `vm global-status`
// and for recovering a lost .vm/ folder. Box images are volumes named by content digest, so a box
// is uploaded once per pool whatever project uses it.
import { createHash } from 'node:crypto';
import type { MachineConfig } from '../../model/machine-config.js';

/** XML namespace of the metadata element vm puts in its domains. */
export const METADATA_NS = 'urn:x-vm:libvirt:machine:1';
export const METADATA_PREFIX = 'vm';

const digest = (text: string, n: number): string => createHash('sha256').update(text).digest('hex').slice(0, n);

/** `vm-<machine>-<8 hex of the project folder>`. */
export function domainName(config: Pick<MachineConfig, 'name' | 'project'>): string {
  return `vm-${config.name}-${digest(config.project.dir, 8)}`;
}

/** A box file's base volume: box name, version, role and the first 16 hex of its sha256. */
export function baseVolumeName(box: { name: string; version: string }, role: 'kernel' | 'initrd' | 'root' | 'firmware', sha256: string): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `box-${safe(box.name)}-${safe(box.version)}-${role}-${sha256.slice(0, 16)}`;
}

/** Present once a base volume's upload finished: a base without it is a cut-short upload. */
export const completeMarkerName = (volume: string): string => `${volume}.complete`;

export const rootOverlayName = (domain: string): string => `${domain}-root.qcow2`;
export const extraDiskName = (domain: string, disk: string): string => `${domain}-disk-${disk}.raw`;
