// What vm reads back from a domain's XML (virsh dumpxml): who it belongs to, and where libvirt put
// the agent port's socket. Plain text matching on libvirt's own output format.
import { AGENT_PORT_NAME } from './domain-xml.js';
import { METADATA_NS } from './names.js';

const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** project and name from vm's metadata element, its tags with the prefix `prefix` matches. */
function owner(xml: string, prefix: string): { project: string; name: string } | undefined {
  const text = (tag: string): string | undefined => new RegExp(`<${prefix}${tag}>([^<]*)</`).exec(xml)?.[1];
  const project = text('project');
  const name = text('name');
  return project !== undefined && name !== undefined ? { project: unescape(project), name: unescape(name) } : undefined;
}

/** Who a domain belongs to, from vm's metadata element in its XML; undefined when vm did not make it. */
export function domainOwner(xml: string): { project: string; name: string } | undefined {
  if (!xml.includes(METADATA_NS)) return undefined;
  return owner(xml, '[A-Za-z0-9_]+:');
}

/**
 * The same from `virsh metadata DOMAIN NAMESPACE`, which prints only vm's element, without its
 * prefix (`<machine><name>web</name><project>...</project>...`); it fails for domains without one.
 */
export function metadataOwner(text: string): { project: string; name: string } | undefined {
  if (!/^\s*<machine[\s>]/.test(text)) return undefined;
  return owner(text, '');
}

/** The unix socket libvirt made for the agent's port, from a running domain's live XML. */
export function agentChannelPath(liveXml: string): string | undefined {
  for (const m of liveXml.matchAll(/<channel type=['"]unix['"]>([\s\S]*?)<\/channel>/g)) {
    const body = m[1]!;
    if (!body.includes(`name='${AGENT_PORT_NAME}'`) && !body.includes(`name="${AGENT_PORT_NAME}"`)) continue;
    return /<source [^>]*path=['"]([^'"]+)['"]/.exec(body)?.[1];
  }
  return undefined;
}
