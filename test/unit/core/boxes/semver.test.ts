// Version precedence and the constraint forms a Vmfile's `box` may use.
import { describe, expect, it } from 'vitest';
import { compareVersions, maxSatisfying, parseConstraint, parseVersion, satisfies, sortVersionsDesc } from '../../../../src/core/boxes/semver.js';

describe('semver', () => {
  it('parses versions strictly', () => {
    expect(parseVersion('1.2.3')).toMatchObject({ major: 1, minor: 2, patch: 3, prerelease: [] });
    expect(parseVersion('1.2.3-rc.1+build.5')).toMatchObject({ prerelease: ['rc', 1] });
    for (const bad of ['1.2', '01.2.3', '1.2.3.4', 'v1.2.3', '', '1.2.x']) expect(parseVersion(bad), bad).toBeUndefined();
  });

  it('orders by semver precedence (prereleases below their release, numeric ids below alphanumeric)', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0', '2.0.0'];
    for (let i = 1; i < order.length; i++) expect(compareVersions(parseVersion(order[i - 1]!)!, parseVersion(order[i]!)!), `${order[i - 1]} < ${order[i]}`).toBeLessThan(0);
    expect(sortVersionsDesc(['1.2.0', '1.10.0', '1.9.9'])).toEqual(['1.10.0', '1.9.9', '1.2.0']);
    expect(compareVersions(parseVersion('1.0.0+a')!, parseVersion('1.0.0+b')!)).toBe(0);
  });

  const table: [string, string[], string[]][] = [
    ['1.2.3', ['1.2.3'], ['1.2.4', '1.2.2']],
    ['=1.2.3', ['1.2.3'], ['1.2.4']],
    ['>=1.2', ['1.2.0', '1.9.0', '3.0.0'], ['1.1.9']],
    ['>1.2', ['1.3.0'], ['1.2.9', '1.2.0']],
    ['>1.2.3', ['1.2.4'], ['1.2.3']],
    ['<2', ['1.99.0', '0.1.0'], ['2.0.0']],
    ['<=1.2', ['1.2.9', '1.0.0'], ['1.3.0']],
    ['~1.2.3', ['1.2.3', '1.2.9'], ['1.3.0', '1.2.2']],
    ['~1.2', ['1.2.0', '1.2.7'], ['1.3.0']],
    ['~1', ['1.0.0', '1.9.0'], ['2.0.0']],
    ['^1.2.3', ['1.2.3', '1.9.0'], ['2.0.0', '1.2.2']],
    ['^0.2.3', ['0.2.3', '0.2.9'], ['0.3.0']],
    ['^0.0.3', ['0.0.3'], ['0.0.4']],
    ['1.2.*', ['1.2.0', '1.2.99'], ['1.3.0', '1.1.0']],
    ['1.x', ['1.0.0', '1.5.5'], ['2.0.0']],
    ['1.2', ['1.2.0', '1.2.5'], ['1.3.0']],
    ['*', ['0.0.1', '9.9.9'], []],
    ['>=1.2 <2', ['1.2.0', '1.9.9'], ['2.0.0', '1.1.0']],
    ['>=1.2, <2', ['1.5.0'], ['2.0.0']],
    ['>= 1.2', ['1.2.0'], ['1.1.0']],
    ['>=1.0', ['1.3.0'], ['1.3.0-rc.1']],
    ['>=1.3.0-rc.1', ['1.3.0-rc.1', '1.3.0-rc.2', '1.3.0'], ['1.4.0-rc.1', '1.3.0-beta']],
  ];
  for (const [c, yes, no] of table) {
    it(`constraint ${c}`, () => {
      for (const v of yes) expect(satisfies(v, c), `${v} satisfies ${c}`).toBe(true);
      for (const v of no) expect(satisfies(v, c), `${v} does not satisfy ${c}`).toBe(false);
    });
  }

  it('rejects malformed constraints', () => {
    for (const bad of ['>=', '1.*.3', 'abc', '>=1.2 <', '~>1.2', '1.2.3.4']) expect(parseConstraint(bad), bad).toBeUndefined();
  });

  it('maxSatisfying picks the highest satisfying version', () => {
    const vs = ['0.1.0', '1.0.0', '1.4.2', '1.10.0', '2.0.0-rc.1', '2.0.0'];
    expect(maxSatisfying(vs)).toBe('2.0.0');
    expect(maxSatisfying(vs, '^1.0')).toBe('1.10.0');
    expect(maxSatisfying(vs, '<1.5')).toBe('1.4.2');
    expect(maxSatisfying(vs, '>=3')).toBeUndefined();
  });
});
