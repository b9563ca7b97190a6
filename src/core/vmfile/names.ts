// Defaults derived from names: a hostname from a machine name, a 9p mount tag from a guest path.

/** RFC 1123 host label from a machine name: lowercase letters, digits and `-`, at most 63 characters. */
export function hostnameFor(machineName: string): string {
  const label = machineName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return label === '' ? 'vm' : label;
}

/** Linux limits 9p mount tags in practice to 31 bytes (virtio-9p's tag field in common guests). */
export const MAX_TAG_LENGTH = 31;

/** A 9p tag from a guest path: `/vagrant` -> `vagrant`, `/home/me/src` -> `home_me_src`, `/` -> `root`. */
export function tagForGuestPath(guestPath: string): string {
  const tag = trimSlashes(guestPath)
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/_{2,}/g, '_');
  if (tag === '') return 'root';
  // Keep the end of long paths: `/home/me/projects/app` is told apart from its siblings by its last parts.
  return tag.length > MAX_TAG_LENGTH ? tag.slice(tag.length - MAX_TAG_LENGTH).replace(/^[_.-]+/, '') : tag;
}

/** Without leading and trailing `/` (by index: `/\/+$/` backtracks quadratically on long runs). */
export function trimSlashes(p: string): string {
  let start = 0;
  let end = p.length;
  while (start < end && p[start] === '/') start++;
  while (end > start && p[end - 1] === '/') end--;
  return p.slice(start, end);
}

/** `base`, or `base_2`, `base_3` ... (still within the length limit) if it is already taken. */
export function uniqueTag(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = `${base.slice(0, MAX_TAG_LENGTH - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
