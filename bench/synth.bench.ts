/**
 * `pnpm bench` (synth part): `pnpm synth` as users run it, a new process each time through
 * scripts/run.cjs (the compiled CLI, docs/performance.md), for the three shipped environments
 * and for 30, 100 and 300 generated ones shaped like staging and prod. Prints wall time and the
 * peak RSS of the synth process:
 * - cold: empty synth caches (Helm render cache `ZT_HELM_CACHE`, YAML memo `ZT_SYNTH_CACHE`);
 *   build/ and the V8 code cache stay as they are, as after `pnpm install` and one run;
 * - warm: the same again, caches filled.
 * Targets on the 2-core machine: warm, 3 environments within 1.0 s (with pnpm's own start-up,
 * measured separately by bench/cli.bench.ts); 100 environments within 5 s and 500 MB; time
 * linear in environments (the added ms/env column: the warm time each environment adds between
 * rows). Charts come from `$ZT_CHARTS_DIR` (else `../shared/upstream/charts`); caches and
 * outputs live in temporary directories.
 * `BENCH_SYNTH_SIZES=3,30` limits the sizes; `BENCH_RUNS` (default 3, 1 above 30 environments).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..');
const CHARTS = process.env.ZT_CHARTS_DIR ?? join(REPO, '..', 'shared', 'upstream', 'charts');
const SIZES = (process.env.BENCH_SYNTH_SIZES ?? '3,30,100,300').split(',').map(Number);
const RSS_PROBE = join(__dirname, 'rss.cjs');

if (!existsSync(CHARTS)) {
  console.error(`bench: no charts directory at ${CHARTS} (set ZT_CHARTS_DIR or run pnpm charts pull)`);
  process.exit(1);
}

/** `count` environments shaped like staging and prod (alternately), each with its own cluster, name and VPC. */
export function generatedEnvironments(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-envs-'));
  const registry = JSON.stringify(join(REPO, 'platform', 'registry'));
  writeFileSync(
    join(dir, '_shared.ts'),
    readFileSync(join(REPO, 'environments', '_shared.ts'), 'utf8').replace("from '../platform/registry'", `from ${registry}`),
  );
  for (let i = 0; i < count; i++) {
    const base = i % 2 === 0 ? 'staging' : 'prod';
    const source = readFileSync(join(REPO, 'environments', `${base}.ts`), 'utf8')
      .replace("from '../platform/registry'", `from ${registry}`)
      .replace(`name: '${base}'`, `name: 'gen-${i}'`)
      .replace(/cluster: \{ name: '[^']+'/, `cluster: { name: 'gen-${i}-eu'`)
      // Each its own VPC range (two environments may not overlap): 10.0-255 then 100.64-127, 320 /16s.
      .replace(/10\.(15|20)\.0\.0\/16/g, i < 256 ? `10.${i}.0.0/16` : `100.${64 + i - 256}.0.0/16`);
    writeFileSync(join(dir, `gen-${i}.ts`), source);
  }
  return dir;
}

interface Run {
  ms: number;
  rssMb: number;
}

/** One `node scripts/run.cjs synth` (what `pnpm synth` runs), in a new process: wall time and peak RSS. */
export function synthOnce(args: string[], caches: { helm: string; yaml: string }): Run {
  const out = join(mkdtempSync(join(tmpdir(), 'bench-out-')), 'dist');
  const rssFile = join(out, '..', 'rss');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', RSS_PROBE, join(REPO, 'scripts', 'run.cjs'), 'synth', '--out', out, '--charts', CHARTS, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ZT_HELM_CACHE: caches.helm, ZT_SYNTH_CACHE: caches.yaml, BENCH_RSS_FILE: rssFile },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  const rssMb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : Number.NaN;
  rmSync(join(out, '..'), { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  return { ms, rssMb };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The previous row's size and warm time: the marginal cost per environment between rows. */
let previous: { envs: number; warm: number } | undefined;

function measure(label: string, envs: number, args: string[]) {
  const runs = Number(process.env.BENCH_RUNS ?? (envs > 30 ? 1 : 3));
  const cold: Run[] = [];
  const warm: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-synth-cache-'));
    const caches = { helm: join(dir, 'helm'), yaml: join(dir, 'synth-yaml.json') };
    cold.push(synthOnce(args, caches));
    warm.push(synthOnce(args, caches));
    rmSync(dir, { recursive: true, force: true });
  }
  const c = median(cold.map((r) => r.ms));
  const w = median(warm.map((r) => r.ms));
  console.log(
    [
      label.padEnd(24),
      c.toFixed(0).padStart(9),
      w.toFixed(0).padStart(9),
      (w / envs).toFixed(1).padStart(13),
      (previous ? ((w - previous.warm) / (envs - previous.envs)).toFixed(1) : '').padStart(15),
      Math.max(...cold.map((r) => r.rssMb))
        .toFixed(0)
        .padStart(13),
      Math.max(...warm.map((r) => r.rssMb))
        .toFixed(0)
        .padStart(13),
      String(runs).padStart(5),
    ].join(''),
  );
  previous = { envs, warm: w };
}

if (require.main === module) {
  console.log(
    "synth: node scripts/run.cjs synth in a new process (what pnpm synth runs, without pnpm's own start-up); median wall time; peak RSS of the synth process",
  );
  console.log(
    `${'environments'.padEnd(24)}${'cold ms'.padStart(9)}${'warm ms'.padStart(9)}${'warm ms/env'.padStart(13)}${'added ms/env'.padStart(15)}${'cold RSS MB'.padStart(13)}${'warm RSS MB'.padStart(13)}${'runs'.padStart(5)}`,
  );
  for (const size of SIZES) {
    if (size === 3) {
      measure('3 (dev, prod, staging)', 3, []);
      continue;
    }
    const generated = generatedEnvironments(size);
    try {
      measure(`${size} generated`, size, ['--environments', generated]);
    } finally {
      rmSync(generated, { recursive: true, force: true });
    }
  }
}
