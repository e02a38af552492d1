'use strict';
/**
 * Compiles the CLIs that run on every change (synth, validate, reach) to JavaScript in build/
 * (git-ignored), so that `pnpm synth` does not pay for tsx's start-up and the transpilation of
 * ~60 TypeScript modules on every run. `pnpm install` runs it (`prepare`); `scripts/run.cjs`, the
 * entry of the package.json scripts, rebuilds when a source changed and falls back to tsx when
 * it cannot build. docs/performance.md says why and what it saves.
 *
 * One esbuild bundle per CLI: the repository's TypeScript is bundled, packages stay `require`s
 * of node_modules. Three rewrites keep the bundle behaving like the sources under tsx:
 * - `__dirname` in a source file becomes that file's directory in the repository (`REPO_ROOT`,
 *   the default Argo CD config, the charts directory), not build/;
 * - `await import(x)` (how environment files and argocd/config.ts are loaded at run time)
 *   becomes `__ztImport(x)` (scripts/runtime.mjs): TypeScript through tsx's CommonJS loader;
 * - every bundled module registers its namespace object, so that an environment file's
 *   `import '../platform/registry'` gets the bundle's module (one instance, nothing transpiled
 *   twice) instead of a second copy of the platform compiled from source;
 * - the `yaml` package is loaded on first use.
 *
 * `build/stamp.json` records every input (path, mtime, size, sha256): the build is fresh while
 * each input has the same mtime and size, or else the same content. `node scripts/build.cjs`
 * builds; `--check` exits 1 when the build is stale.
 */
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join, relative, resolve, sep } = require('node:path');

const ROOT = resolve(__dirname, '..');
const DEFAULT_OUT = join(ROOT, 'build');
/** Bumped when the layout of build/ or the stamp changes. */
const FORMAT = 1;
/** The CLIs compiled, by name (`node scripts/run.cjs <name>`), with their source entry. */
const ENTRIES = { synth: 'lib/cli/synth.ts', validate: 'lib/cli/validate.ts', reach: 'analysis/cli.ts' };
/** Files that shape the output besides the sources the bundles import. */
const TOOLING = ['scripts/build.cjs', 'scripts/runtime.mjs'];

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const stampFile = (out) => join(out, 'stamp.json');
const toPosix = (p) => p.split(sep).join('/');

/** A file as the stamp records it. */
function fingerprint(file) {
  const st = statSync(file);
  return { mtimeMs: st.mtimeMs, size: st.size, sha256: sha256(readFileSync(file)) };
}

/**
 * Whether build/ holds bundles of the current sources: every input recorded in the stamp has
 * the same mtime and size, or else the same content (a checkout or `touch` changes mtimes only).
 * The stat of ~100 files costs about a millisecond; content is read only for changed mtimes.
 */
function isFresh(out = DEFAULT_OUT) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile(out), 'utf8'));
  } catch {
    return false;
  }
  if (stamp.format !== FORMAT || typeof stamp.inputs !== 'object') return false;
  for (const name of Object.keys(ENTRIES)) if (!existsSync(join(out, `${name}.js`))) return false;
  for (const [rel, was] of Object.entries(stamp.inputs)) {
    let st;
    try {
      st = statSync(join(ROOT, rel));
    } catch {
      return false;
    }
    if (st.mtimeMs === was.mtimeMs && st.size === was.size) continue;
    if (st.size !== was.size || sha256(readFileSync(join(ROOT, rel))) !== was.sha256) return false;
  }
  return true;
}

/** Writes `content` to `file` through a temporary file and a rename: readers never see half a file. */
function writeAtomic(file, content) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/**
 * Bundles the CLIs into `out` and writes the stamp last (a concurrent reader sees the old or the
 * new bundle, and a stale stamp at worst). Returns the build time and the number of inputs.
 */
async function build(out = DEFAULT_OUT) {
  const started = performance.now();
  const esbuild = require('esbuild');
  const inputs = {};
  for (const f of TOOLING) inputs[f] = fingerprint(join(ROOT, f));
  const sources = {
    name: 'zt-sources',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        const rel = toPosix(relative(ROOT, args.path));
        if (rel.startsWith('..') || rel.split('/').includes('node_modules')) return undefined;
        // Stat before reading: an edit after this point changes the mtime, so the stamp goes stale.
        const st = statSync(args.path);
        const raw = readFileSync(args.path);
        inputs[rel] = { mtimeMs: st.mtimeMs, size: st.size, sha256: sha256(raw) };
        const dir = toPosix(relative(ROOT, resolve(args.path, '..')));
        let code = raw
          .toString('utf8')
          .replace(/(?<![.\w$])__dirname\b/g, `__ztDir(${JSON.stringify(dir)})`)
          .replace(/\bawait import\(/g, 'await __ztImport(');
        if (/(?<![.\w$])import\(\s*[^'"`\s]/.test(code.replace(/typeof import\(/g, ''))) {
          return { errors: [{ text: `${rel}: a dynamic import() the build cannot redirect (write it as \`await import(...)\`)` }] };
        }
        const self = `./${args.path.slice(args.path.lastIndexOf(sep) + 1)}`;
        code += `\nimport * as __zt_self from ${JSON.stringify(self)};\n__ztModules[${JSON.stringify(rel)}] = __zt_self;\n`;
        return { contents: code, loader: 'ts', resolveDir: resolve(args.path, '..') };
      });
    },
  };
  // The `yaml` package (30 ms to load) is required on first use: a warm `pnpm reach` reads every
  // file from its parse cache and never needs it. Its functions, and the classes sources build
  // with `new` (a constructor that returns the real instance); `instanceof` against a class or
  // its static members are not available through the shim.
  const yamlExports = Object.entries(require(require.resolve('yaml', { paths: [ROOT] })));
  const yamlFunctions = yamlExports.filter(([name, value]) => typeof value === 'function' && /^[a-z]/.test(name)).map(([name]) => name);
  const yamlClasses = ['Composer', 'LineCounter', 'Parser'].filter((name) => yamlExports.some(([n]) => n === name));
  const lazyYaml = {
    name: 'zt-lazy-yaml',
    setup(b) {
      b.onResolve({ filter: /^yaml$/ }, (args) =>
        args.namespace === 'zt-lazy-yaml' ? { path: 'yaml', external: true } : { path: 'yaml', namespace: 'zt-lazy-yaml' },
      );
      b.onLoad({ filter: /.*/, namespace: 'zt-lazy-yaml' }, () => ({
        contents: [
          'let loaded;',
          "const yaml = () => (loaded ??= require('yaml'));",
          ...yamlFunctions.map((name) => `export function ${name}(...args) { return yaml().${name}(...args); }`),
          ...yamlClasses.map((name) => `export function ${name}(...args) { return new (yaml().${name})(...args); }`),
        ].join('\n'),
        loader: 'js',
        resolveDir: ROOT,
      }));
    },
  };
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, src]) => [name, join(ROOT, src)])),
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    inject: [join(ROOT, 'scripts', 'runtime.mjs')],
    define: { __ZT_ROOT_FROM_BUILD: JSON.stringify(toPosix(relative(out, ROOT)) || '.') },
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'silent',
    plugins: [lazyYaml, sources],
  });
  mkdirSync(out, { recursive: true });
  for (const file of result.outputFiles) writeAtomic(file.path, file.contents);
  const stamp = { format: FORMAT, esbuild: esbuild.version, inputs: Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : 1))) };
  writeAtomic(stampFile(out), `${JSON.stringify(stamp, null, 1)}\n`);
  return { ms: performance.now() - started, inputs: Object.keys(inputs).length, out };
}

/** esbuild's first error as one line: `file:line:column: text`. */
function describeBuildError(e) {
  const first = e?.errors?.[0];
  if (!first) return String(e?.message ?? e).split('\n')[0];
  const at = first.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
  return `${at}${first.text}`;
}

module.exports = { ROOT, DEFAULT_OUT, ENTRIES, isFresh, build, describeBuildError };

if (require.main === module) {
  const check = process.argv.includes('--check');
  if (check) {
    const fresh = isFresh();
    console.log(`build: ${fresh ? 'fresh' : 'stale'} (${relative(process.cwd(), DEFAULT_OUT) || DEFAULT_OUT})`);
    process.exitCode = fresh ? 0 : 1;
  } else {
    build().then(
      (r) =>
        console.log(`build: ${Object.keys(ENTRIES).join(', ')} from ${r.inputs} files in ${Math.round(r.ms)} ms -> ${relative(process.cwd(), r.out) || r.out}`),
      (e) => {
        // Never fails an install: the scripts fall back to tsx and report the error when run.
        console.error(`build: skipped (${describeBuildError(e)}); the CLIs run through tsx until it builds`);
      },
    );
  }
}
