/**
 * `pnpm bench` (end-to-end part): the commands as typed, `pnpm --silent reach <dir>` and
 * `pnpm synth`, wall time from start to exit, pnpm's own start-up included. Also, to show where
 * the time goes: pnpm alone (`pnpm --version`), the same command without pnpm
 * (`node scripts/run.cjs ...`), and as before this work ("before": tsx, no parse cache or YAML
 * memo; pnpm's start-up not included).
 * reach: 100, 500 and 1,000 generated workloads (bench/generate.ts) written as one YAML file
 * per namespace, with an empty parse cache (cold) and a filled one (warm).
 * Targets on the 2-core machine: `pnpm --silent reach` on 100 workloads within 0.6 s; warm
 * `pnpm synth` of the 3 shipped environments within 1.0 s. Median of `BENCH_RUNS` (default 5).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { generateManifests } from './generate';

const REPO = resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time of one command (ms); throws when it fails. */
function time(cmd: string, args: string[], env: Record<string, string> = {}): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

/** Median wall time of `RUNS` runs; `prepare` runs before each (not timed). */
function med(run: () => number, prepare?: () => void): number {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    prepare?.();
    xs.push(run());
  }
  return median(xs);
}

/** One YAML file per namespace of a generated cluster. */
function manifests(workloads: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-reach-'));
  const byNs = new Map<string, unknown[]>();
  for (const object of generateManifests({ seed: 42, workloads, policiesPerWorkload: 0.3 })) {
    const o = object as { metadata: { name: string; namespace?: string } };
    const ns = o.metadata.namespace ?? o.metadata.name;
    byNs.set(ns, [...(byNs.get(ns) ?? []), object]);
  }
  for (const [ns, docs] of byNs) writeFileSync(join(dir, `${ns}.yaml`), docs.map((d) => stringify(d)).join('---\n'));
  return dir;
}

const cell = (ms: number, width = 12) => ms.toFixed(0).padStart(width);

console.log(`end to end: median of ${RUNS} runs, wall ms (load average ${loadavg()[0]!.toFixed(2)} on ${require('node:os').cpus().length} cores)`);
console.log(`pnpm alone (pnpm --version): ${med(() => time('pnpm', ['--version'])).toFixed(0)} ms`);
console.log('');
console.log(`${'reach workloads'.padEnd(16)}${'pnpm cold'.padStart(12)}${'pnpm warm'.padStart(12)}${'node warm'.padStart(12)}${'before'.padStart(12)}`);
for (const size of [100, 500, 1000]) {
  const dir = manifests(size);
  const cacheRoot = mkdtempSync(join(tmpdir(), 'bench-reach-cache-'));
  try {
    let n = 0;
    let cache = '';
    const fresh = () => {
      cache = join(cacheRoot, String(n++));
      mkdirSync(cache);
    };
    const cold = med(() => time('pnpm', ['--silent', 'reach', dir], { ZT_REACH_CACHE: cache }), fresh);
    const warmCache = join(cacheRoot, 'warm');
    time('node', ['scripts/run.cjs', 'reach', dir], { ZT_REACH_CACHE: warmCache });
    const warm = med(() => time('pnpm', ['--silent', 'reach', dir], { ZT_REACH_CACHE: warmCache }));
    const node = med(() => time('node', ['scripts/run.cjs', 'reach', dir], { ZT_REACH_CACHE: warmCache }));
    const tsx = med(() => time('node', ['scripts/run.cjs', 'reach', '--no-cache', dir], { ZT_CLI: 'tsx' }));
    console.log(`${String(size).padEnd(16)}${cell(cold)}${cell(warm)}${cell(node)}${cell(tsx)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheRoot, { recursive: true, force: true });
  }
}

console.log('');
const charts = process.env.ZT_CHARTS_DIR ?? join(REPO, '..', 'shared', 'upstream', 'charts');
const out = join(mkdtempSync(join(tmpdir(), 'bench-synth-')), 'dist');
try {
  const args = ['synth', '--out', out, '--charts', charts];
  time('node', ['scripts/run.cjs', ...args]); // fills the caches
  const pnpm = med(() => time('pnpm', ['--silent', ...args]));
  const node = med(() => time('node', ['scripts/run.cjs', ...args]));
  const tsx = med(() => time('node', ['scripts/run.cjs', ...args], { ZT_CLI: 'tsx', ZT_SYNTH_CACHE: '/dev/null/none' }));
  console.log(`${'synth, warm'.padEnd(16)}${'pnpm'.padStart(12)}${'node'.padStart(12)}${'before'.padStart(12)}`);
  console.log(`${'3 environments'.padEnd(16)}${cell(pnpm)}${cell(node)}${cell(tsx)}`);
} finally {
  rmSync(join(out, '..'), { recursive: true, force: true });
}
