// What a libvirt connection URI says about where the hypervisor is (https://libvirt.org/uri.html):
// `driver[+transport]://[user@][host][:port]/path[?extra]`. An empty host means this machine (local
// socket); anything else is a remote hypervisor host reached through the transport (ssh, tls, tcp).

export interface LibvirtUri {
  driver: string;
  transport?: string;
  user?: string;
  host?: string;
  port?: number;
  /** `/system` or `/session`. */
  path: string;
  /** `keyfile=...` and other extra parameters. */
  params: Record<string, string>;
}

const URI = /^([A-Za-z][A-Za-z0-9]*)(?:\+([A-Za-z0-9]+))?:\/\/(?:([^@/?]*)@)?([^/:?]*)(?::([0-9]+))?(\/[^?]*)?(?:\?(.*))?$/;

export function parseLibvirtUri(uri: string): LibvirtUri | undefined {
  const m = URI.exec(uri);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const kv of (m[7] ?? '').split('&').filter(Boolean)) {
    const at = kv.indexOf('=');
    params[decodeURIComponent(at < 0 ? kv : kv.slice(0, at))] = at < 0 ? '' : decodeURIComponent(kv.slice(at + 1));
  }
  return {
    driver: m[1]!,
    ...(m[2] ? { transport: m[2] } : {}),
    ...(m[3] ? { user: decodeURIComponent(m[3]) } : {}),
    ...(m[4] ? { host: m[4] } : {}),
    ...(m[5] ? { port: Number(m[5]) } : {}),
    path: m[6] ?? '',
    params,
  };
}

/** Whether the hypervisor runs on this machine (local socket): host files, 9p and sockets are reachable. */
export function isLocalUri(uri: string): boolean {
  const u = parseLibvirtUri(uri);
  if (!u) return false;
  if (u.transport === 'unix') return true;
  return !u.host;
}

/**
 * The ssh command that reaches the hypervisor host of a `+ssh` URI as virsh itself does (user, port,
 * `keyfile`, `no_verify`; https://libvirt.org/uri.html#ssh-transport), or undefined for other URIs.
 * The remote command is appended by the caller.
 */
export function sshCommand(uri: string): string[] | undefined {
  const u = parseLibvirtUri(uri);
  if (!u || u.transport !== 'ssh' || !u.host) return undefined;
  return [
    'ssh',
    '-o', 'BatchMode=yes',
    ...(u.params.no_verify === '1' ? ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'] : []),
    ...(u.port ? ['-p', String(u.port)] : []),
    ...(u.params.keyfile ? ['-i', u.params.keyfile] : []),
    ...(u.user ? ['-l', u.user] : []),
    '--',
    u.host,
  ];
}
