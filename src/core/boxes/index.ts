// The box store's public face: add/list/remove, bundled boxes, and resolveBox for the Vmfile compiler.
export { resolveBox, peekBox, listBoxes, type BoxRow, type ResolveOptions } from './catalog.js';
export { addBox, removeBox, listStored, machinesUsing, sweepStaleTemp, type AddOptions, type AddResult, type RemoveOptions, type StoredBox } from './store.js';
export { listBundled, materializeBundled, type BundledBox } from './bundled.js';
export { parseManifest, validateManifest, toBoxRef, type BoxManifest } from './manifest.js';
export { parseVersion, compareVersions, parseConstraint, satisfies, maxSatisfying } from './semver.js';
export { DEFAULT_TAR_LIMITS, type TarLimits } from './tar-reader.js';
