/**
 * Injected into every bundle scripts/build.cjs makes (esbuild `inject`): what the bundled sources
 * reference instead of `__dirname` and `await import(...)`. Not imported by the sources themselves.
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The namespace object of every bundled source module, by its path in the repository. */
export const __ztModules = {};

/* global __ZT_ROOT_FROM_BUILD: replaced by esbuild `define` with build/'s path to the repository root. */
const root = resolve(__dirname, __ZT_ROOT_FROM_BUILD);

/** The repository directory a bundled source file came from (what `__dirname` was there). */
export function __ztDir(rel) {
  return join(root, rel);
}

let hooked = false;

/**
 * tsx's CommonJS loader for TypeScript, and every bundled module entered in Node's module cache
 * under its source file, so that what an environment file imports from the repository is the
 * bundle's module: the same instance, nothing compiled again.
 */
function hook() {
  if (hooked) return;
  hooked = true;
  createRequire(join(root, 'package.json'))('tsx/cjs/api').register();
  for (const [rel, namespace] of Object.entries(__ztModules)) {
    const filename = join(root, rel);
    if (Module._cache[filename]) continue;
    const m = new Module(filename);
    m.filename = filename;
    m.paths = Module._nodeModulePaths(dirname(filename));
    m.exports = namespace;
    m.loaded = true;
    Module._cache[filename] = m;
  }
}

/** Whether Node loads `file` as an ES module: `.mjs`/`.mts`, or `.js`/`.ts` under `"type": "module"`. */
function isEsm(file) {
  if (/\.m[jt]s$/.test(file)) return true;
  if (/\.c[jt]s$/.test(file)) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type === 'module';
    } catch {
      if (dirname(dir) === dir) return false;
    }
  }
}

/**
 * `import(specifier)` as the sources get it under tsx: CommonJS modules (TypeScript included)
 * through `require`, with the namespace tsx's import() gives (a module compiled from ESM syntax
 * keeps its own exports, `default` included or not; plain CommonJS has `module.exports` as
 * `default`); ES modules through a real `import()`, TypeScript ones with tsx's ESM loader.
 */
export async function __ztImport(specifier) {
  const file = specifier.startsWith('file:') ? fileURLToPath(specifier) : specifier;
  if (isEsm(file)) {
    // A real import(), from a file outside the bundle (see scripts/import.cjs).
    const nativeImport = createRequire(join(root, 'package.json'))('./scripts/import.cjs');
    if (/\.m?ts$/.test(file)) (await nativeImport('tsx/esm/api')).register();
    return nativeImport(specifier);
  }
  hook();
  const exports = createRequire(file)(file);
  // Compiled from an ES module (`__esModule`): its own exports, as tsx's import() gives them.
  if (exports?.__esModule) return { ...exports };
  return exports !== null && typeof exports === 'object' ? { ...exports, default: exports } : { default: exports };
}
