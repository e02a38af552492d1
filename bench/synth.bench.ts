/**
 * `pnpm bench` (synth part): `pnpm synth` as users run it (a new process, tsx start-up included),
 * cold (empty helm render cache) and warm, for the three shipped environments and for 30
 * generated ones. Target: warm, 3 environments, at most 1.5 s wall on a 2-core machine.
 * Charts come from `$ZT_CHARTS_DIR` (else `../shared/upstream/charts`); the cache lives in a
 * temporary directory (`ZT_HELM_CACHE`), so the developer's cache is left alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..');
const CHARTS = process.env.ZT_CHARTS_DIR ?? join(REPO, '..', 'shared', 'upstream', 'charts');
const RUNS = 3;

if (!existsSync(CHARTS)) {
  console.error(`bench: no charts directory at ${CHARTS} (set ZT_CHARTS_DIR or run pnpm charts pull)`);
  process.exit(1);
}

/** 30 environments shaped like staging and prod, each with its own cluster and CIDRs. */
function generatedEnvironments(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-envs-'));
  const shared = readFileSync(join(REPO, 'environments', '_shared.ts'), 'utf8');
  writeFileSync(join(dir, '_shared.ts'), shared.replace("from '../platform/registry'", `from ${JSON.stringify(join(REPO, 'platform', 'registry'))}`));
  for (let i = 0; i < count; i++) {
    const base = i % 2 === 0 ? 'staging' : 'prod';
    const source = readFileSync(join(REPO, 'environments', `${base}.ts`), 'utf8')
      .replace("from '../platform/registry'", `from ${JSON.stringify(join(REPO, 'platform', 'registry'))}`)
      .replace(`name: '${base}'`, `name: 'gen-${i}'`)
      .replace(/cluster: \{ name: '[^']+'/, `cluster: { name: 'gen-${i}-eu'`)
      .replace(/10\.(15|20)\.0\.0\/16/g, `10.${100 + i}.0.0/16`);
    writeFileSync(join(dir, `gen-${i}.ts`), source);
  }
  return dir;
}

function synthOnce(args: string[], cache: string): number {
  const out = join(mkdtempSync(join(tmpdir(), 'bench-out-')), 'dist');
  const t0 = performance.now();
  const r = spawnSync(join(REPO, 'node_modules', '.bin', 'tsx'), ['lib/cli/synth.ts', '--out', out, '--charts', CHARTS, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ZT_HELM_CACHE: cache },
  });
  const ms = performance.now() - t0;
  rmSync(join(out, '..'), { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(label: string, args: string[]) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cache = mkdtempSync(join(tmpdir(), 'bench-helm-cache-'));
    cold.push(synthOnce(args, cache));
    warm.push(synthOnce(args, cache));
    rmSync(cache, { recursive: true, force: true });
  }
  console.log(`${label.padEnd(26)} ${median(cold).toFixed(0).padStart(12)} ${median(warm).toFixed(0).padStart(12)}`);
}

console.log(`synth wall time, median of ${RUNS} runs (new process each, tsx start-up included)`);
console.log(`${'environments'.padEnd(26)} ${'cold ms'.padStart(12)} ${'warm ms'.padStart(12)}`);
measure('3 (dev, prod, staging)', []);
const generated = generatedEnvironments(30);
measure('30 generated', ['--environments', generated]);
rmSync(generated, { recursive: true, force: true });
