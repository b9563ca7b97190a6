// Minimal semantic versioning for box versions (https://semver.org 2.0.0 precedence) and the simple
// constraints a Vmfile's `box` may carry: exact, =, >, >=, <, <=, ~, ^, x-ranges (1.2.*, 1.x, *),
// separated by spaces or commas to AND them (">=1.2 <2", ">=1.2, <2").

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
  raw: string;
}

const NUM = '(0|[1-9]\\d*)';
const PRE = '(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?';
const BUILD = '(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const FULL = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}${PRE}${BUILD}$`);

export function parseVersion(s: string): SemVer | undefined {
  const m = FULL.exec(s);
  if (!m) return undefined;
  const nums = [m[1], m[2], m[3]].map(Number);
  if (nums.some((n) => !Number.isSafeInteger(n))) return undefined;
  const prerelease = m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  return { major: nums[0]!, minor: nums[1]!, patch: nums[2]!, prerelease, raw: s };
}

export const isVersion = (s: string): boolean => parseVersion(s) !== undefined;

function comparePre(a: (string | number)[], b: (string | number)[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length; // a release outranks its prereleases
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number') return -1; // numeric identifiers rank below alphanumeric ones
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Precedence order: negative, zero or positive. Build metadata is ignored, as semver says. */
export function compareVersions(a: SemVer, b: SemVer): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePre(a.prerelease, b.prerelease);
}

/** Sorts version strings highest first (unparseable ones last). */
export function sortVersionsDesc(versions: string[]): string[] {
  return [...versions].sort((x, y) => {
    const a = parseVersion(x);
    const b = parseVersion(y);
    if (!a || !b) return a ? -1 : b ? 1 : x.localeCompare(y);
    return compareVersions(b, a);
  });
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  op: Op;
  v: SemVer;
}

export interface Constraint {
  raw: string;
  comparators: Comparator[];
}

const v = (major: number, minor: number, patch: number, prerelease: (string | number)[] = []): SemVer => ({
  major,
  minor,
  patch,
  prerelease,
  raw: `${major}.${minor}.${patch}`,
});

const PARTIAL = /^(?:v)?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** One token (">=1.2", "~1.2.3", "1.2.*") -> comparators; undefined if malformed. */
function parseToken(token: string): Comparator[] | undefined {
  const m = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(token);
  if (!m) return undefined;
  const op = m[1] ?? '';
  const p = PARTIAL.exec(m[2]!);
  if (!p) return undefined;
  const wild = (s: string | undefined): boolean => s === undefined || /^[xX*]$/.test(s);
  const parts = [p[1], p[2], p[3]];
  const firstWild = parts.findIndex(wild);
  const given = firstWild === -1 ? 3 : firstWild;
  if (parts.slice(given).some((s) => s !== undefined && !wild(s))) return undefined; // 1.*.3
  const [maj, min, pat] = parts.map((s) => (wild(s) ? 0 : Number(s))) as [number, number, number];
  const pre = p[4] ? p[4].split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x)) : [];
  if (pre.length > 0 && given < 3) return undefined;
  // "*": everything, except ">*" and "<*" which nothing satisfies (no release sorts below 0.0.0).
  if (given === 0) return op === '>' || op === '<' ? [{ op: '<', v: v(0, 0, 0) }] : [];
  const lo = v(maj, min, pat, pre);
  // Upper bound of a partial: 1 -> <2.0.0, 1.2 -> <1.3.0.
  const partialHi = given === 1 ? v(maj + 1, 0, 0) : v(maj, min + 1, 0);
  switch (op) {
    case '':
    case '=':
      return given === 3 ? [{ op: '=', v: lo }] : [{ op: '>=', v: lo }, { op: '<', v: partialHi }];
    case '>=':
      return [{ op: '>=', v: lo }];
    case '<':
      return [{ op: '<', v: lo }];
    case '>':
      return given === 3 ? [{ op: '>', v: lo }] : [{ op: '>=', v: partialHi }];
    case '<=':
      return given === 3 ? [{ op: '<=', v: lo }] : [{ op: '<', v: partialHi }];
    case '~':
      return [{ op: '>=', v: lo }, { op: '<', v: given === 1 ? v(maj + 1, 0, 0) : v(maj, min + 1, 0) }];
    case '^': {
      const hi = maj > 0 || given === 1 ? v(maj + 1, 0, 0) : min > 0 || given === 2 ? v(0, min + 1, 0) : v(0, 0, pat + 1);
      return [{ op: '>=', v: lo }, { op: '<', v: hi }];
    }
    default:
      return undefined;
  }
}

/** Parses a constraint; undefined when any part is malformed. Empty or "*" matches every release. */
export function parseConstraint(raw: string): Constraint | undefined {
  const tokens = raw
    .trim()
    .replace(/\s*,\s*/g, ' ')
    .replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1')
    .split(/\s+/)
    .filter(Boolean);
  const comparators: Comparator[] = [];
  for (const t of tokens) {
    const c = parseToken(t);
    if (c === undefined) return undefined;
    comparators.push(...c);
  }
  return { raw, comparators };
}

function test(c: Comparator, ver: SemVer): boolean {
  const d = compareVersions(ver, c.v);
  switch (c.op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '=':
      return d === 0;
  }
}

/**
 * Whether `version` satisfies `constraint`. As with npm, a prerelease (1.3.0-rc.1) only matches when a
 * comparator names a prerelease of the same MAJOR.MINOR.PATCH, so `>=1.2` never picks an rc.
 */
export function satisfies(version: string | SemVer, constraint: string | Constraint): boolean {
  const ver = typeof version === 'string' ? parseVersion(version) : version;
  const con = typeof constraint === 'string' ? parseConstraint(constraint) : constraint;
  if (!ver || !con) return false;
  if (!con.comparators.every((c) => test(c, ver))) return false;
  if (ver.prerelease.length === 0) return true;
  return con.comparators.some(
    (c) => c.v.prerelease.length > 0 && c.v.major === ver.major && c.v.minor === ver.minor && c.v.patch === ver.patch,
  );
}

/** The highest of `versions` satisfying `constraint` (all when undefined), or undefined. */
export function maxSatisfying(versions: string[], constraint?: string): string | undefined {
  return sortVersionsDesc(versions).find((x) => isVersion(x) && (constraint === undefined || satisfies(x, constraint)));
}
