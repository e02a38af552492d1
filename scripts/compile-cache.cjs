'use strict';
/**
 * A V8 code cache for CommonJS modules, for Node versions without `module.enableCompileCache()`
 * (added in Node 22.1). Compiling JavaScript is a third of a warm `pnpm synth`: the bundle and
 * the packages it loads (cdk8s-plus-28 alone is 2.7 MB) are parsed and compiled on every run.
 * This keeps V8's compiled code of each module in a cache directory, keyed by the file's path,
 * size and mtime (older data of the same file is removed when new data is written), and hands it back to V8 on the next run. V8 checks the data itself (its
 * version, flags and the source length) and recompiles when it rejects it.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const sha1 = (text) => createHash('sha1').update(text).digest('hex');

/**
 * Routes `Module.prototype._compile` through `vm.Script` with cached data from `dir`; returns a
 * function that writes the data of the modules compiled without it (call it once the program
 * has run, so that the functions compiled lazily are included).
 */
function enable(dir) {
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(dir);
    return () => {};
  }
  const pending = [];
  const original = Module.prototype._compile;
  Module.prototype._compile = function compile(content, filename) {
    // JavaScript files only: TypeScript arrives here transformed by tsx, which has its own cache.
    // With source maps on (--enable-source-maps, or tsx once it loads), Node's own path reads them.
    // A module that calls import() needs Node's own path too: on Node 20 a vm.Script cannot give
    // it the default loader without an experimental flag (and loses it when read from the cache).
    if (!/\.c?js$/.test(filename) || process.sourceMapsEnabled || /\bimport\s*\(/.test(content)) return original.call(this, content, filename);
    let version;
    try {
      const st = statSync(filename);
      version = sha1(`${process.version}\0${st.size}\0${st.mtimeMs}\0${content.length}`);
    } catch {
      return original.call(this, content, filename);
    }
    const prefix = `${sha1(filename)}.`;
    const file = join(dir, `${prefix}${version}.bin`);
    let cachedData;
    try {
      cachedData = readFileSync(file);
    } catch {}
    let script;
    try {
      script = new vm.Script(Module.wrap(content), { filename, cachedData });
    } catch {
      // Not CommonJS (an ES module Node would load through require(esm)): Node's own path decides.
      return original.call(this, content, filename);
    }
    if (!cachedData || script.cachedDataRejected) pending.push({ prefix, file, script });
    const fn = script.runInThisContext({ displayErrors: true });
    // What Module.prototype._compile passes: exports, require, module, __filename, __dirname.
    return fn.call(this.exports, this.exports, makeRequire(this), this, filename, dirname(filename));
  };
  function makeRequire(mod) {
    const req = (id) => mod.require(id);
    req.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    req.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    req.main = process.mainModule;
    req.extensions = Module._extensions;
    req.cache = Module._cache;
    return req;
  }
  return () => {
    if (pending.length === 0) return;
    try {
      mkdirSync(dir, { recursive: true });
      const existing = readdirSync(dir);
      for (const { prefix, file, script } of pending) {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, file);
        // The data of earlier versions of the same file (a rebuilt bundle, an upgraded package).
        for (const old of existing) if (old.startsWith(prefix) && join(dir, old) !== file) rmSync(join(dir, old), { force: true });
      }
    } catch {
      // A cache that cannot be written is only slower.
    }
  };
}

module.exports = { enable };
