'use strict';
// The builtin engine process's entry once built: `node engine-main.start.cjs ENGINE_JSON`, copied
// beside engine-main.js by scripts/bundle-engine.js (builtin-engine.ts engineMainPath). Runs the
// one-file CommonJS bundle of engine-main.js (engine-main.bundle.cjs) with V8's code cache of it
// (engine-main.bundle.cache): the bytecode of every function in it, made when vm is built, so the
// process neither parses the bundle nor compiles a function of it before running it (issue 11,
// warm start: every `vm up` starts this process). The cache is used only when it was made from
// these very bytes (its first 32 bytes are the bundle's SHA-256: V8 itself checks little more than
// the length) and by this Node (V8 refuses another version's, or one made under other flags); else
// the bundle is compiled as usual.
//   node engine-main.start.cjs --make-code-cache    writes the cache (run by the build)
const { Script } = require('node:vm');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { createRequire, wrap } = require('node:module');
const { join } = require('node:path');
const v8 = require('node:v8');

const bundle = join(__dirname, 'engine-main.bundle.cjs');
const cacheFile = join(__dirname, 'engine-main.bundle.cache');
const DIGEST_BYTES = 32;

const source = readFileSync(bundle, 'utf8');
const digest = createHash('sha256').update(source).digest();
const make = process.argv[2] === '--make-code-cache';

let cachedData;
if (!make) {
  try {
    const file = readFileSync(cacheFile);
    if (file.length > DIGEST_BYTES && file.subarray(0, DIGEST_BYTES).equals(digest)) cachedData = file.subarray(DIGEST_BYTES);
  } catch {
    // no cache: compiled as usual
  }
}

// Making the cache: every function compiled now (not at its first call), so that all are in it;
// the flag is back to its default before the cache is written (V8 ties a cache to the flags).
if (make) v8.setFlagsFromString('--no-lazy');
const script = new Script(wrap(source), { filename: bundle, cachedData });
if (make) {
  v8.setFlagsFromString('--lazy');
  const tmp = `${cacheFile}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([digest, script.createCachedData()]));
  renameSync(tmp, cacheFile);
} else {
  const bundleModule = { exports: {} };
  script.runInThisContext().call(bundleModule.exports, bundleModule.exports, createRequire(bundle), bundleModule, bundle, __dirname);
}
