// The small pure pieces: units, suggestions, names, paths, MACs, formatting, finding the Vmfile.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findVmfile } from '../../../../src/core/vmfile/find-vmfile.js';
import { formatProblem } from '../../../../src/core/vmfile/format-problems.js';
import { deriveMac, isMulticastMac } from '../../../../src/core/vmfile/mac-address.js';
import { hostnameFor, tagForGuestPath, uniqueTag } from '../../../../src/core/vmfile/names.js';
import { formatPath } from '../../../../src/core/vmfile/problem.js';
import { closest, editDistance } from '../../../../src/core/vmfile/suggest.js';
import { formatSize, parseDuration, parseSize } from '../../../../src/core/vmfile/units.js';
import { tempDir } from './helpers.js';

describe('units', () => {
  it('parses sizes as powers of 1024', () => {
    expect([parseSize('512M'), parseSize('2G'), parseSize('1.5g'), parseSize('4KiB'), parseSize('3 TB'), parseSize('100B'), parseSize(4096)]).toEqual([
      512 * 2 ** 20, 2 * 2 ** 30, 1.5 * 2 ** 30, 4096, 3 * 2 ** 40, 100, 4096,
    ]);
    expect([parseSize('lots'), parseSize('1.2.3G'), parseSize('-1'), parseSize(-1), parseSize(1.5), parseSize('99999999999T'), parseSize(null)]).toEqual([
      undefined, undefined, undefined, undefined, undefined, undefined, undefined,
    ]);
  });

  it('prints sizes in the largest whole unit', () => {
    expect([formatSize(16 * 2 ** 20), formatSize(2 ** 40), formatSize(1000), formatSize(1536)]).toEqual(['16M', '1T', '1000B', '1536B']);
  });

  it('parses durations to milliseconds', () => {
    expect([parseDuration('120s'), parseDuration('2m'), parseDuration('1m30s'), parseDuration('1h'), parseDuration('90'), parseDuration(5)]).toEqual([
      120_000, 120_000, 90_000, 3_600_000, 90_000, 5_000,
    ]);
    expect([parseDuration('2 minutes'), parseDuration('m'), parseDuration(''), parseDuration('1s1m')]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('suggestions', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect([editDistance('memroy', 'memory'), editDistance('cpu', 'cpus'), editDistance('', 'abc'), editDistance('kitten', 'sitting')]).toEqual([1, 1, 3, 3]);
  });

  it('suggests only plausible typos', () => {
    const keys = ['box', 'engine', 'memory', 'cpus', 'synced_folders', 'boot_timeout'];
    expect(closest('memroy', keys)).toBe('memory');
    expect(closest('synced-folders', keys)).toBe('synced_folders');
    expect(closest('CPUS', keys)).toBe('cpus');
    expect(closest('bootTimeout', keys)).toBe('boot_timeout');
    expect(closest('network', keys)).toBeUndefined();
    expect(closest('x'.repeat(10_000), keys)).toBeUndefined();
  });
});

describe('derived names', () => {
  it('makes hostnames from machine names', () => {
    expect([hostnameFor('web'), hostnameFor('Worker_1'), hostnameFor('a__b--c'), hostnameFor('_-_'), hostnameFor('x'.repeat(80))]).toEqual([
      'web', 'worker-1', 'a-b-c', 'vm', 'x'.repeat(63),
    ]);
  });

  it('makes 9p tags from guest paths', () => {
    expect([tagForGuestPath('/vagrant'), tagForGuestPath('/home/me/src/'), tagForGuestPath('/'), tagForGuestPath('/a b/ç')]).toEqual([
      'vagrant', 'home_me_src', 'root', 'a_b_',
    ]);
    expect(uniqueTag('srv', new Set(['srv', 'srv_2']))).toBe('srv_3');
    expect(uniqueTag('x'.repeat(31), new Set(['x'.repeat(31)]))).toBe(`${'x'.repeat(29)}_2`);
  });

  it('writes paths the way users wrote them', () => {
    expect([formatPath([]), formatPath(['machines', 'web', 'forwards', 0, 'host']), formatPath(['env', 'A B'])]).toEqual([
      '', 'machines.web.forwards[0].host', 'env["A B"]',
    ]);
  });
});

describe('MAC addresses', () => {
  it('are stable, locally administered and unicast', () => {
    const mac = deriveMac('/p', 'web', 0);
    expect(mac).toBe(deriveMac('/p', 'web', 0));
    expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(new Set([mac, deriveMac('/p', 'web', 1), deriveMac('/p', 'db', 0), deriveMac('/q', 'web', 0), deriveMac('/p', 'web', 0, 1)]).size).toBe(5);
    expect([isMulticastMac(mac), isMulticastMac('01:00:5e:00:00:01'), isMulticastMac('33:33:00:00:00:01')]).toEqual([false, true, true]);
  });
});

describe('formatting a problem', () => {
  it('quotes the line with a caret under the column, tabs kept, control characters hidden', () => {
    const p = { severity: 'error' as const, message: 'bad', file: '/p/Vmfile', line: 2, col: 4, path: 'x', hint: 'fix it' };
    expect(formatProblem(p, { cwd: '/p', text: 'a: 1\n\tx:\u001b[31m y\n' })).toBe(
      ['Vmfile:2:4: error: bad', '    2 | \tx:?[31m y', '      | \t  ^', '  hint: fix it'].join('\n'),
    );
    expect(formatProblem({ ...p, hint: undefined }, { cwd: '/elsewhere' })).toBe('/p/Vmfile:2:4: error: bad');
  });
});

describe('finding the Vmfile', () => {
  it('searches upwards, takes -f as a file or a folder, and says what to do when there is none', () => {
    const root = tempDir('vmfile-find-');
    mkdirSync(join(root, 'a', 'b', 'c'), { recursive: true });
    writeFileSync(join(root, 'a', 'Vmfile'), 'box: tiny\n');
    writeFileSync(join(root, 'other.yaml'), 'box: tiny\n');
    expect(findVmfile({ cwd: join(root, 'a', 'b', 'c') })).toBe(join(root, 'a', 'Vmfile'));
    expect(findVmfile({ cwd: join(root, 'a', 'b'), file: '../../other.yaml' })).toBe(join(root, 'other.yaml'));
    expect(findVmfile({ cwd: root, file: 'a' })).toBe(join(root, 'a', 'Vmfile'));
    expect(() => findVmfile({ cwd: root, file: 'a/b' })).toThrow(`no Vmfile in ${join(root, 'a', 'b')}`);
    expect(() => findVmfile({ cwd: root, file: 'nope' })).toThrow(`no such Vmfile: ${join(root, 'nope')}`);
    expect(() => findVmfile({ cwd: root })).toThrow(`no Vmfile in ${root} or any folder above it`);
  });
});
