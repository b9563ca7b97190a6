// `engine: libvirt` in a Vmfile: the `libvirt:` key, its defaults and $VM_LIBVIRT_URI, the box
// check (libvirt runs boxes that boot on qemu), and the limits `vm validate` reports for a remote
// hypervisor host, each with its exact message and place.
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileVmfile, type Project } from '../../../../src/core/vmfile/project.js';
import type { BoxResolver } from '../../../../src/core/vmfile/resolvers.js';
import { folderResolver, makeBox, tempDir } from './helpers.js';

let project: string;
let resolveBox: BoxResolver;

beforeAll(() => {
  const boxes = tempDir();
  makeBox(boxes);
  makeBox(boxes, { name: 'onlybuiltin', engines: ['builtin'] });
  resolveBox = folderResolver(boxes);
  project = tempDir('vmfile-libvirt-');
});

const saved = process.env.VM_LIBVIRT_URI;
afterEach(() => {
  if (saved === undefined) delete process.env.VM_LIBVIRT_URI;
  else process.env.VM_LIBVIRT_URI = saved;
});

const compile = (text: string): Promise<Project> => compileVmfile(join(project, 'Vmfile'), text, { resolveBox });
const problems = async (text: string): Promise<[number, number, string, string | undefined][]> =>
  (await compile(text)).errors.map((e) => [e.line, e.col, e.message, e.hint]);

describe('engine: libvirt in the Vmfile', () => {
  it('compiles with the default URI and pool, or the Vmfile\'s', async () => {
    delete process.env.VM_LIBVIRT_URI;
    const p = await compile('box: tiny\nengine: libvirt\n');
    expect(p.errors).toEqual([]);
    expect(p.machines[0]).toMatchObject({ engine: 'libvirt', libvirt: { uri: 'qemu:///system', pool: 'vm' } });
    const q = await compile('box: tiny\nengine: libvirt\nlibvirt: {uri: "qemu+ssh://root@hv1/system", pool: lab}\n');
    expect(q.machines[0]!.libvirt).toEqual({ uri: 'qemu+ssh://root@hv1/system', pool: 'lab' });
  });

  it('takes $VM_LIBVIRT_URI when the Vmfile names no URI', async () => {
    process.env.VM_LIBVIRT_URI = 'qemu:///session';
    expect((await compile('box: tiny\nengine: libvirt\n')).machines[0]!.libvirt).toEqual({ uri: 'qemu:///session', pool: 'vm' });
    expect((await compile('box: tiny\nengine: libvirt\nlibvirt: {uri: "qemu:///system"}\n')).machines[0]!.libvirt!.uri).toBe('qemu:///system');
  });

  it('other engines carry no libvirt settings', async () => {
    expect((await compile('box: tiny\nengine: qemu\nlibvirt: {pool: lab}\n')).machines[0]!.libvirt).toBeUndefined();
  });

  it('rejects a bad URI, a bad pool name and unknown keys at their place', async () => {
    expect(await problems('box: tiny\nengine: libvirt\nlibvirt: {uri: "not a uri", pool: "a/b", user: x}\n')).toEqual([
      [3, 16, 'libvirt.uri must be a libvirt URI such as qemu:///system or qemu+ssh://user@host/system; got "not a uri"', undefined],
      [3, 35, 'libvirt.pool must be a pool name made of letters, digits, `-`, `_` and `.`; got "a/b"', undefined],
      [3, 42, 'unknown key "user" in libvirt', 'allowed here: uri, pool'],
    ]);
  });

  it('refuses a box that does not boot on qemu', async () => {
    const p = await compile('box: onlybuiltin\nengine: libvirt\n');
    expect(p.errors.map((e) => e.message)).toEqual(['box "onlybuiltin" 0.1.0 does not boot on the libvirt engine; it supports: builtin']);
  });
});

describe('limits of a remote libvirt host are validate-time errors', () => {
  const remote = 'box: tiny\nengine: libvirt\nlibvirt: {uri: "qemu+ssh://root@hv1/system"}\n';

  it('synced folders', async () => {
    expect(await problems(`${remote}synced_folders:\n  - {host: ., guest: /vagrant}\n`)).toEqual([
      [5, 5, 'synced folders need the folder on the hypervisor host, and machine "default" runs on the remote libvirt host qemu+ssh://root@hv1/system', 'remove it and copy files with a `file` provisioner, or use a local URI (qemu:///system)'],
    ]);
  });

  it('over ssh, TCP forwards on any address come through the tunnel; UDP cannot', async () => {
    expect(await problems(`${remote}forwards:\n  - {guest: 80, host: 8080}\n  - {guest: 80, host: 8081, host_ip: 0.0.0.0}\n`)).toEqual([]);
    expect(await problems(`${remote}forwards:\n  - {guest: 53, host: 5353, protocol: udp}\n`)).toEqual([
      [5, 5, 'forward of udp port 5353: machine "default" runs on the remote libvirt host qemu+ssh://root@hv1/system, and the ssh tunnel that brings its forwards here carries TCP only', 'forward a TCP port, or use a local URI (qemu:///system)'],
    ]);
  });

  it('over another transport, a forward on loopback; one on the hypervisor host\'s own address is allowed', async () => {
    const tls = 'box: tiny\nengine: libvirt\nlibvirt: {uri: "qemu+tls://hv1/system"}\n';
    expect(await problems(`${tls}forwards:\n  - {guest: 80, host: 8080}\n`)).toEqual([
      [5, 5, "forward to 127.0.0.1:8080 on a remote libvirt host (qemu+tls://hv1/system) would listen on that host's loopback, not this one's", 'set host_ip to an address of the hypervisor host to listen there (reach it as <host>:8080), use a qemu+ssh:// URI (forwards then come through an ssh tunnel), or use a local URI'],
    ]);
    expect(await problems(`${tls}forwards:\n  - {guest: 80, host: 8080, host_ip: 0.0.0.0}\n`)).toEqual([]);
  });

  it('a local URI has neither limit', async () => {
    expect(await problems('box: tiny\nengine: libvirt\nsynced_folders:\n  - {host: ., guest: /vagrant}\nforwards:\n  - {guest: 80, host: 8080}\n')).toEqual([]);
  });
});
