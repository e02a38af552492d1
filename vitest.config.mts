import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

// Synth renders the upstream charts; tests take them from the shared folder beside the checkout
// (`$SHARED/upstream/charts`), unless ZT_CHARTS_DIR already names a charts directory.
const shared = process.env.SHARED ?? [join(import.meta.dirname, '..', 'shared'), join(import.meta.dirname, '..', '..', 'shared')].find((d) => existsSync(d));
const charts = process.env.ZT_CHARTS_DIR ?? (shared ? join(shared, 'upstream', 'charts') : undefined);
// Upstream CRD files components deliver (`crds`): `$SHARED/upstream/crds`, unless ZT_CRDS_DIR names a directory.
const crds = process.env.ZT_CRDS_DIR ?? (shared ? join(shared, 'upstream', 'crds') : undefined);

const INCLUDE = ['tests/**/*.test.ts', 'infra/test/**/*.test.ts'];

/** Test files under a directory, relative to the repository. */
function testFiles(dir: string): string[] {
  const abs = join(import.meta.dirname, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts') && !f.split('/').includes('node_modules'))
    .map((f) => relative(import.meta.dirname, join(abs, f)));
}

// Most suites share one module graph per worker (isolate: false): importing cdk8s, zod and the
// platform once per worker instead of once per file halves the suite's CPU time. Suites that
// replace modules (vi.mock) and infra's (Pulumi's runtime and its mocks are process-wide state)
// get a fresh graph each, as vitest does by default.
const ISOLATED = [
  ...testFiles('tests').filter((f) => /\bvi\.(mock|doMock|unmock|stubGlobal)\(/.test(readFileSync(join(import.meta.dirname, f), 'utf8'))),
  ...testFiles('infra/test'),
];

export default defineConfig({
  test: {
    // Synth-heavy suites share two cores; a generous timeout avoids flakes, not slowness.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { ...(charts ? { ZT_CHARTS_DIR: charts } : {}), ...(crds ? { ZT_CRDS_DIR: crds } : {}) },
    setupFiles: ['tests/support/setup.ts'],
    // Many suites wait on child processes (synth, helm, kubeconform, git): more workers than the
    // two cores keep the CPU busy while they wait.
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'shared', include: INCLUDE, exclude: [...configDefaults.exclude, ...ISOLATED], isolate: false } },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
  },
});
