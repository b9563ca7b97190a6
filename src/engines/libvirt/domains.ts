// The domains vm made on a libvirt host, found by the metadata each carries (domain-xml.ts: project
// folder and machine name), for `vm global-status`: what runs on a remote hypervisor host is listed
// even when this host's index or the project's .vm/ folder lost track of it. One virsh session per
// host: on a remote host each virsh process would pay its own ssh handshake.
import { metadataOwner } from './domain-info.js';
import { METADATA_NS } from './names.js';
import { Virsh } from './virsh.js';

export interface VmDomain {
  uri: string;
  domain: string;
  /** libvirt's word for its state: `running`, `shut off`, `paused`... */
  state: string;
  project: string;
  name: string;
}

/** `virsh list --all` rows (` Id   Name   State`): name and state. */
export function parseDomainList(text: string): { domain: string; state: string }[] {
  const out: { domain: string; state: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+|-)\s+(\S+)\s+(\S.*?)\s*$/.exec(line);
    if (m) out.push({ domain: m[2]!, state: m[3]! });
  }
  return out;
}

/** Every domain on `uri` carrying vm's metadata; throws LibvirtError when the host cannot be reached. */
export async function listVmDomains(uri: string, program?: string): Promise<VmDomain[]> {
  const session = new Virsh(uri, program).session();
  try {
    const rows = parseDomainList((await session.run(['list', '--all'])).stdout);
    const out: VmDomain[] = [];
    for (const r of rows) {
      // vm names its domains vm-<machine>-<digest> (names.ts); others are not asked about
      if (!r.domain.startsWith('vm-')) continue;
      const meta = await session.tryRun(['metadata', r.domain, METADATA_NS]);
      const owner = meta ? metadataOwner(meta.stdout) : undefined;
      if (owner) out.push({ uri, domain: r.domain, state: r.state, ...owner });
    }
    return out;
  } finally {
    session.close();
  }
}
