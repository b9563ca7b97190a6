// The libvirt engine's public face: the Engine object the registry loads, and the pieces tests use.
import { LibvirtEngine } from './libvirt-engine.js';

export const libvirtEngine = new LibvirtEngine();

export { LibvirtEngine, DOMAIN_XML_FILE, agentChannelPath, domainOwner, keeperMainPath } from './libvirt-engine.js';
export { domainXml, xmlEscape, type DomainVolumes, type DomainXmlInput } from './domain-xml.js';
export { domainName, baseVolumeName, METADATA_NS } from './names.js';
export { LibvirtError, LibvirtConfigError } from './errors.js';
export { Virsh, classifyVirshFailure } from './virsh.js';
export { isLocalUri, parseLibvirtUri } from './uri.js';
