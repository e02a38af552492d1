'use strict';
/**
 * `node scripts/run.cjs <synth|validate|reach> [args...]`: the entry of `pnpm synth`,
 * `pnpm validate` and `pnpm reach`. Runs the CLI compiled in build/ (scripts/build.cjs) when it
 * is fresh, rebuilds it first when a source changed, and runs the TypeScript through tsx when it
 * cannot build (the error is then tsx's, as before) or when `ZT_CLI=tsx`. What this saves:
 * docs/performance.md.
 */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { build, describeBuildError, ENTRIES, isFresh, ROOT } = require('./build.cjs');

const [name, ...args] = process.argv.slice(2);
if (!Object.hasOwn(ENTRIES, name ?? '')) {
  console.error(`usage: node scripts/run.cjs <${Object.keys(ENTRIES).join('|')}> [args...]`);
  process.exit(2);
}

/** Runs the compiled CLI in this process. */
function runBuilt() {
  const save = process.env.ZT_NO_COMPILE_CACHE ? () => {} : require('./compile-cache.cjs').enable(join(ROOT, 'node_modules', '.cache', 'zt-eks-gitops', 'v8'));
  const { main } = require(join(ROOT, 'build', `${name}.js`));
  main(args).then((code) => {
    process.exitCode = code;
    save();
  });
}

/** Runs the TypeScript entry through tsx in a child process, with this process's exit status. */
function runSource() {
  const tsx = require.resolve('tsx/cli', { paths: [ROOT] });
  const r = spawnSync(process.execPath, [tsx, join(ROOT, ENTRIES[name]), ...args], { stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.signal) process.kill(process.pid, r.signal);
  process.exitCode = r.status ?? 1;
}

if (process.env.ZT_CLI === 'tsx') {
  runSource();
} else if (isFresh()) {
  runBuilt();
} else {
  build().then(
    (r) => {
      if (process.stderr.isTTY) process.stderr.write(`(sources changed: CLIs rebuilt in ${Math.round(r.ms)} ms)\n`);
      runBuilt();
    },
    (e) => {
      if (process.stderr.isTTY) process.stderr.write(`(cannot build the CLIs: ${describeBuildError(e)}; running through tsx)\n`);
      runSource();
    },
  );
}
