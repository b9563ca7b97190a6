// Vmfile checks beyond the fixture folder: each rule with its exact message and place.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../../src/core/errors.js';
import { compileVmfile, requireValid, type Project } from '../../../../src/core/vmfile/project.js';
import { BoxNotDownloadedError, type BoxResolver } from '../../../../src/core/vmfile/resolvers.js';
import { MAX_RAM_BYTES } from '../../../../src/emulator/memory/ram.js';
import { MAX_HARTS } from '../../../../src/emulator/machine/virt.js';
import { folderResolver, makeBox, tempDir } from './helpers.js';

let project: string;
let boxes: string;
let resolveBox: BoxResolver;

beforeAll(() => {
  boxes = tempDir();
  makeBox(boxes);
  makeBox(boxes, { name: 'onlybuiltin', engines: ['builtin'] });
  resolveBox = folderResolver(boxes);
  project = tempDir('vmfile-project-');
  mkdirSync(join(project, 'src'));
  writeFileSync(join(project, 'notes.txt'), 'a file, not a folder\n');
  writeFileSync(join(project, 'setup.sh'), 'echo setup\n');
});

async function compile(text: string, resolver: BoxResolver = resolveBox): Promise<Project> {
  return compileVmfile(join(project, 'Vmfile'), text, { resolveBox: resolver });
}

/** [line, col, message] of every error (or warning). */
async function errors(text: string, kind: 'errors' | 'warnings' = 'errors'): Promise<[number, number, string][]> {
  const p = await compile(text);
  return p[kind].map((e) => [e.line, e.col, e.message]);
}

describe('machines and their names', () => {
  it('rejects a machine name that cannot name a folder', async () => {
    expect(await errors('machines:\n  "bad name": {box: tiny}\n')).toEqual([
      [2, 3, '"bad name" is not a valid key in machines: expected a machine name made of letters, digits, `-` and `_` (starting with a letter or digit, at most 63 characters)'],
    ]);
  });

  it('rejects names that differ only in case', async () => {
    expect(await errors('defaults: {box: tiny}\nmachines:\n  web:\n  Web:\n')).toEqual([
      [4, 3, 'machine name "Web" differs from "web" only in case; their state folders would collide'],
    ]);
  });

  it('rejects an empty machines mapping and stray defaults', async () => {
    expect(await errors('machines: {}\n')).toEqual([[1, 11, '"machines" is empty: declare at least one machine']]);
    expect(await errors('box: tiny\ndefaults: {cpus: 2}\n')).toEqual([[2, 1, '"defaults" only applies together with "machines"']]);
  });

  it('asks for a box when none is given', async () => {
    const p = await compile('cpus: 2\n');
    expect(p.errors.map((e) => [e.line, e.col, e.message, e.hint])).toEqual([[1, 1, 'the Vmfile does not say which box to boot', 'add `box: tiny` (see `vm box list`)']]);
    expect(await errors('machines:\n  web: {cpus: 2}\n  db: {box: tiny}\n')).toEqual([[2, 3, 'machine "web" does not say which box to boot']]);
  });

  it('reports the box resolver\'s error at the box line, with its hint', async () => {
    const p = await compile('# comment\nbox: nosuchbox\n');
    expect(p.errors.map((e) => [e.line, e.col, e.message, e.hint])).toEqual([[2, 6, "box 'nosuchbox' is not installed", 'bundled boxes: tiny']]);
    expect(p.machineNames).toEqual(['default']);
  });

  it('reports an engine the box does not support at the engine line', async () => {
    expect(await errors('box: onlybuiltin\nengine: qemu\n')).toEqual([[2, 9, 'box "onlybuiltin" 0.1.0 does not boot on the qemu engine; it supports: builtin']]);
  });

  it('lets a resolver bug propagate instead of hiding it as a Vmfile problem', async () => {
    const broken: BoxResolver = () => {
      throw new TypeError('boom');
    };
    await expect(compile('box: tiny\n', broken)).rejects.toThrow('boom');
  });

  it('asks the resolver once per distinct box, with commas read as spaces', async () => {
    const r = folderResolver(boxes);
    await compileVmfile(join(project, 'Vmfile'), 'defaults: {box: {name: tiny, version: ">=0.1, <1"}}\nmachines: {a: , b: , c: {box: tiny}}\n', { resolveBox: r });
    expect(r.calls).toEqual([
      ['tiny', '>=0.1 <1'],
      ['tiny', undefined],
    ]);
  });
});

describe('keys and values', () => {
  it('rejects bad environment variable names and NUL characters', async () => {
    expect(await errors('box: tiny\nenv:\n  1ST: x\n  OK: "a\\0b"\n')).toEqual([
      [3, 3, '"1ST" is not a valid key in env: expected an environment variable name (letters, digits and `_`, not starting with a digit)'],
      [4, 7, 'environment variable OK contains a NUL character, which no environment can carry'],
    ]);
  });

  it('suggests enum values and lists allowed keys when nothing is close', async () => {
    const p = await compile('box: tiny\naccel: kvmm\nzzzzzz: 1\n');
    expect(p.errors.map((e) => [e.line, e.col, e.message])).toEqual([
      [2, 8, 'accel must be one of auto, kvm, tcg; got "kvmm"; did you mean "kvm"?'],
      [3, 1, 'unknown key "zzzzzz"'],
    ]);
    expect(p.errors[1]!.hint).toMatch(/^allowed here: box, engine, accel, cpus, memory, /);
  });

  it('points at the key of an empty value', async () => {
    expect(await errors('box: tiny\nmemory:\n')).toEqual([[2, 1, 'memory must be a size such as 512M, 2G or a number of bytes; got an empty value']]);
  });

  it('checks sizes and durations that parse but are out of range', async () => {
    expect(await errors('box: tiny\nmemory: 8M\nboot_timeout: 25h\ndisks: [{name: d, size: 99999999999999T}]\n')).toEqual([
      [2, 9, 'memory must be between 16M and 1T; got "8M"'],
      [3, 15, 'boot_timeout must be between 1s and 24h; got "25h"'],
      [4, 25, 'disk size "99999999999999T" is too large'],
    ]);
  });

  it('rejects unknown YAML tags and several documents', async () => {
    expect(await errors('box: !!js/function tiny\n')).toEqual([[1, 6, 'unknown YAML tag: tag:yaml.org,2002:js/function: a Vmfile uses plain YAML values only']]);
    expect(await errors('box: tiny\n---\nbox: tiny\n')).toEqual([[2, 1, 'a Vmfile holds a single YAML document: remove the second `---` and what follows, or merge it in']]);
  });

  it('refuses a file too large to be a Vmfile, and survives deep nesting', async () => {
    expect(await errors(`box: tiny\n# ${'x'.repeat(1024 * 1024)}\n`)).toEqual([[1, 1, 'the Vmfile is larger than 1024 KiB; a Vmfile describes machines, it does not hold data']]);
    const deep = await errors(`box: ${'['.repeat(20000)}${']'.repeat(20000)}\n`);
    expect(deep.length).toBeGreaterThan(0);
  });

  it('validates a pathological version string in linear time', async () => {
    const start = performance.now();
    const p = await compile(`box: {name: tiny, version: "1${' '.repeat(300_000)}y"}\n`);
    expect(performance.now() - start).toBeLessThan(2000);
    expect(p.errors[0]!.message).toMatch(/^box\.version must be a version constraint/);
  });

  it('follows YAML merge keys when locating problems', async () => {
    const text = 'x-base: &base\n  box: tiny\n  memroy: 1G\nmachines:\n  web:\n    <<: *base\n';
    const p = await compile(text);
    expect(p.errors.map((e) => [e.line, e.col, e.message])).toEqual([
      [1, 1, 'unknown key "x-base"'],
      [3, 3, 'unknown key "memroy" in machines.web; did you mean "memory"?'],
    ]);
  });
});

describe('network', () => {
  it('requires a nat card for forwards', async () => {
    expect(await errors('box: tiny\nnics: [{type: private, network: lan}]\nforwards:\n  - {guest: 80, host: 8080}\n')).toEqual([
      [4, 5, 'forwards need a "nat" network card, and machine "default" has none'],
    ]);
  });

  it('checks card types, addresses and MACs', async () => {
    const text = [
      'defaults: {box: tiny}',
      'machines:',
      '  a:',
      '    nics:',
      '      - {type: private, network: lan, ip: 10.0.0.2, mac: "52:54:00:00:00:01"}',
      '      - {type: private, network: lan, ip: 300.0.0.1}',
      '      - {type: bridge}',
      '      - {network: lan}',
      '      - {type: private}',
      '  b:',
      '    nics:',
      '      - {type: private, network: lan, ip: 10.0.0.2, mac: "52:54:00:00:00:01"}',
      '      - {type: nat, mac: "01:00:5e:00:00:01"}',
      '',
    ].join('\n');
    expect(await errors(text)).toEqual([
      [6, 43, '"300.0.0.1" is not an IPv4 address: each part must be 0 to 255'],
      [7, 16, 'machines.a.nics[2].type must be one of nat, private; got "bridge"'],
      [8, 9, 'machines.a.nics[3] is missing the required key "type"'],
      [9, 9, 'machines.a.nics[4] is missing the required key "network"'],
      [12, 43, 'address 10.0.0.2 on network "lan" is already given to machine "a" (line 5:43)'],
      [12, 58, 'MAC address 52:54:00:00:00:01 is already used by a card of machine "a" (line 5:58)'],
      [13, 26, 'MAC address 01:00:5e:00:00:01 is a multicast address; a card needs a unicast one (first byte even, such as 52:54:00:...)'],
    ]);
  });

  it('rejects a host_ip that is not an address', async () => {
    expect(await errors('box: tiny\nforwards: [{guest: 22, host: 2222, host_ip: localhost}]\n')).toEqual([
      [2, 45, 'host_ip must be an IP address of this host such as 127.0.0.1; got "localhost"'],
    ]);
  });

  it('treats a wildcard address as overlapping every other address', async () => {
    const text = 'box: tiny\nforwards:\n  - {guest: 22, host: 2222, host_ip: 127.0.0.2}\n  - {guest: 23, host: 2222, host_ip: "::"}\n';
    expect(await errors(text)).toEqual([[4, 23, 'host port 2222/tcp on :: is already forwarded by this machine (line 3:23)']]);
  });
});

describe('folders and provisioners', () => {
  it('rejects a synced folder that is a file, and the same guest path twice', async () => {
    const text = 'box: tiny\nsynced_folders:\n  - {host: notes.txt, guest: /n}\n  - {host: src, guest: /s}\n  - {host: ., guest: /s/}\n';
    expect(await errors(text)).toEqual([
      [3, 12, `synced folder "notes.txt" is a file, not a folder (${join(project, 'notes.txt')})`],
      [5, 22, 'guest path /s already has a synced folder (line 4:24)'],
    ]);
  });

  it('takes inline or path, not both; names stay unique', async () => {
    const text = [
      'box: tiny',
      'provision:',
      '  - {type: shell, inline: x, path: setup.sh}',
      '  - {type: shell, name: one, inline: x}',
      '  - {type: shell, name: one, inline: y}',
      '  - {inline: z}',
      '  - {type: shell, inline: ok, args: ["a\\0b"]}',
      '',
    ].join('\n');
    expect(await errors(text)).toEqual([
      [3, 30, 'a shell provisioner takes either "inline" or "path", not both'],
      [5, 25, 'provisioner name "one" is already used by the provisioner at line 4:25'],
      [6, 5, 'provision[3] is missing the required key "type"'],
      [7, 38, 'an argument cannot contain a NUL character: no program can receive it'],
    ]);
  });

  it('warns that accel does nothing on the builtin engine', async () => {
    expect(await errors('box: tiny\nengine: builtin\naccel: kvm\n', 'warnings')).toEqual([
      [3, 8, 'accel: kvm has no effect: machine "default" runs on the builtin engine'],
    ]);
  });
});

describe('virtio slots', () => {
  it('a riscv64 machine with more devices than the 8 virtio-mmio slots is an error at validate time, not at up', async () => {
    for (const f of ['a', 'b', 'c', 'd', 'e']) mkdirSync(join(project, f), { recursive: true });
    const disks = 'disks:\n  - {name: d1, size: 1M}\n  - {name: d2, size: 1M}\n';
    const folders = (n: number): string => `synced_folders:\n${['a', 'b', 'c', 'd', 'e'].slice(0, n).map((f) => `  - {host: ${f}, guest: /${f}}\n`).join('')}`;
    // the box has no root disk here: 2 disks + NAT card + agent channel + 4 folders = 8 fit
    expect(await errors(`box: tiny\n${disks}${folders(4)}`)).toEqual([]);
    expect(await errors(`box: tiny\n${disks}${folders(5)}`)).toEqual([
      [1, 1, 'machine "default" needs 9 virtio devices (2 extra disks, 1 network card, the agent channel, 5 synced folders), but a riscv64 machine has 8 slots'],
    ]);
    expect(await errors(`machines:\n  web:\n    box: tiny\n    ${disks.replace(/\n  /g, '\n      ')}    ${folders(5).replace(/\n  /g, '\n      ')}`)).toEqual([
      [3, 5, 'machine "web" needs 9 virtio devices (2 extra disks, 1 network card, the agent channel, 5 synced folders), but a riscv64 machine has 8 slots'],
    ]);
  });
});

describe('box.url and box.checksum', () => {
  const url = 'https://boxes.example.org/web-1.0.box';
  const sha = 'ab'.repeat(32);

  it('are handed to the resolver; a missing box with a url is "not downloaded yet", not an error', async () => {
    const seen: unknown[] = [];
    const resolver: BoxResolver = (name, constraint, source) => {
      seen.push([name, constraint, source]);
      if (name === 'tiny') return resolveBox(name, constraint);
      throw new BoxNotDownloadedError(name, source!.url);
    };
    const p = await compile(`machines:\n  a: {box: tiny}\n  b:\n    box: {name: web, version: ">=1", url: "${url}", checksum: "sha256:${sha}"}\n    engine: qemu\n`, resolver);
    expect(seen).toEqual([
      ['tiny', undefined, undefined],
      ['web', '>=1', { url, checksum: `sha256:${sha}` }],
    ]);
    expect(p.errors).toEqual([]);
    expect(p.machines.map((m) => m.name)).toEqual(['a']);
    expect(p.notDownloaded.map((d) => [d.name, d.engineRequested, d.error.url])).toEqual([['b', 'qemu', url]]);
    expect(() => requireValid(p)).toThrow(`machine 'b': box 'web' is not installed yet: \`vm up\` downloads it from ${url}`);
  });

  it('a checksum without a url, a url that is not http(s)/file, a checksum that is not sha256: each at its line', async () => {
    expect(await errors(`box: {name: tiny, checksum: "${sha}"}\n`)).toEqual([[1, 19, 'box.checksum is the sha256 of the archive at box.url, and there is no box.url']]);
    expect(await errors('box:\n  name: tiny\n  url: ftp://x/y.box\n')).toEqual([[3, 8, 'box.url must be an http://, https:// or file:// URL of a .box archive; got "ftp://x/y.box"']]);
    expect(await errors(`box:\n  name: tiny\n  url: ${url}\n  checksum: md5:abc\n`)).toEqual([
      [4, 13, 'box.checksum must be a sha256 checksum: 64 hex digits, optionally prefixed with `sha256:`; got "md5:abc"'],
    ]);
  });
});

describe('resolver errors are UserErrors', () => {
  it('keeps message and hint', () => {
    const e = new UserError('x', { hint: 'y' });
    expect([e.message, e.options.hint]).toEqual(['x', 'y']);
  });
});

describe('engine limits are validate-time errors', () => {
  const GiB = 1024 * 1024 * 1024;
  const MiB = 1024 * 1024;

  it('memory above what the builtin engine can give is an error at the memory: value, with the limit from the emulator', async () => {
    const limit = `${MAX_RAM_BYTES / MiB}M`;
    expect(await errors(`box: tiny\nmemory: ${limit}\n`)).toEqual([]);
    for (const memory of ['4081M', '4G', '32G']) {
      const p = await compile(`box: tiny\nengine: builtin\nmemory: ${memory}\n`);
      expect(p.errors.map((e) => [e.line, e.col, e.message])).toEqual([
        [3, 9, `memory: ${memory} is more than the builtin engine can give a machine (at most ${limit})`],
      ]);
      expect(p.errors[0]!.hint).toMatch(/engine: qemu/);
    }
    // `auto` picks builtin for this box, so the same limit holds; the qemu engine has no such limit.
    expect(await errors('box: tiny\nmemory: 32G\n')).toHaveLength(1);
    expect(await errors('box: tiny\nengine: qemu\nmemory: 32G\n')).toEqual([]);
    // No hint to switch engines for a box that boots only on builtin.
    const only = await compile('box: onlybuiltin\nmemory: 8G\n');
    expect(only.errors[0]!.hint).not.toMatch(/qemu/);
    expect(8 * GiB).toBeGreaterThan(MAX_RAM_BYTES);
  });

  it('more cpus than the builtin engine emulates is an error at the cpus: value, with the limit from the emulator', async () => {
    expect(await errors(`box: tiny\ncpus: ${MAX_HARTS}\n`)).toEqual([]);
    expect(await errors(`box: tiny\ncpus: ${MAX_HARTS + 1}\n`)).toEqual([[2, 7, `cpus: ${MAX_HARTS + 1} is more than the builtin engine emulates (at most ${MAX_HARTS} harts)`]]);
    expect(await errors(`box: tiny\nengine: qemu\ncpus: ${MAX_HARTS + 1}\n`)).toEqual([]);
  });

  it('memory that is not a whole number of MiB is an error (both engines size RAM in MiB)', async () => {
    expect(await errors('box: tiny\nengine: qemu\nmemory: 100000000\n')).toEqual([
      [3, 9, 'memory must be a whole number of MiB; got 100000000 bytes'],
    ]);
    expect(await errors('box: tiny\nmemory: 1.5G\n')).toEqual([]);
  });

  it('a synced folder guest path the guest cannot mount (spaces, `:`) is an error at the guest: value', async () => {
    for (const engine of ['builtin', 'qemu']) {
      expect(await errors(`box: tiny\nengine: ${engine}\nsynced_folders:\n  - {host: src, guest: "/my src"}\n  - {host: src, guest: "/a:b"}\n  - {host: src, guest: /ok}\n`)).toEqual([
        [4, 24, 'synced folder guest path "/my src" cannot be mounted: the box\'s init reads mounts from the kernel command line, which cannot carry spaces, `:` or control characters'],
        [5, 24, 'synced folder guest path "/a:b" cannot be mounted: the box\'s init reads mounts from the kernel command line, which cannot carry spaces, `:` or control characters'],
      ]);
    }
    // A file provisioner's destination goes through the agent, where any path works.
    expect(await errors('box: tiny\nprovision: [{type: file, source: setup.sh, destination: "/tmp/a b:c"}]\n')).toEqual([]);
  });
});
