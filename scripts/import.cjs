'use strict';
/**
 * A real `import()` for the bundles scripts/build.cjs makes (scripts/runtime.mjs): kept out of
 * them so that the bundles themselves hold no import() and can use the V8 code cache
 * (scripts/compile-cache.cjs). Bare specifiers resolve from this repository.
 */
module.exports = (specifier) => import(specifier);
