// Sizes (`512M`, `2G`, bytes) and durations (`120s`, `2m`, `1m30s`, seconds) as written in a Vmfile.

const SIZE_RE = /^([0-9]+(?:\.[0-9]+)?)\s*(?:([KMGT])(?:I?B)?|B)?$/i;
const POWERS: Record<string, number> = { K: 1, M: 2, G: 3, T: 4 };

/**
 * Bytes for a size, or undefined when it does not parse or is not a safe integer. K, M, G, T are
 * powers of 1024 whether or not written `KiB`/`KB`, as in Lima and qemu: a VM's memory is binary.
 */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = SIZE_RE.exec(value.trim());
  if (!m) return undefined;
  const unit = m[2] ? 1024 ** POWERS[m[2].toUpperCase()]! : 1;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Written like a size (what the schema accepts), whether or not the number fits. */
export function isSizeSyntax(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0;
  return typeof value === 'string' && SIZE_RE.test(value.trim());
}

/** `512M`, `2G`, `1000B`: the largest unit in which the size is still a whole number. */
export function formatSize(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && v % 1024 === 0 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v}${units[i]}`;
}

const DURATION_RE = /^(?:([0-9]+)|(?=[0-9])(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?)$/;

/** Milliseconds for `120s`, `2m`, `1m30s`, `1h` or a number of seconds; undefined when it does not parse. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const m = DURATION_RE.exec(value.trim());
  if (!m) return undefined;
  const seconds = m[1] !== undefined ? Number(m[1]) : Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  const ms = seconds * 1000;
  return Number.isSafeInteger(ms) ? ms : undefined;
}
