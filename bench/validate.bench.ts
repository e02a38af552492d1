/**
 * `pnpm bench` (validate part): `node scripts/run.cjs validate` (what `pnpm validate` runs) over
 * the committed dist/ (3 environments) and over the synth output of 30 generated environments,
 * with the offline schemas: cold (empty validation cache), warm (nothing changed), and after a
 * change to one component (its files revalidated, the rest from the cache). Wall time, median
 * of `BENCH_RUNS` (default 3; 1 for 30 environments). Needs kubeconform and
 * `../shared/kubeconform-schemas` (`KUBECONFORM_SCHEMAS`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findKubeconform } from '../lib/cli/validate';
import { generatedEnvironments } from './synth.bench';

const REPO = resolve(__dirname, '..');
const SCHEMAS = process.env.KUBECONFORM_SCHEMAS ?? join(REPO, '..', 'shared', 'kubeconform-schemas');
const CHARTS = process.env.ZT_CHARTS_DIR ?? join(REPO, '..', 'shared', 'upstream', 'charts');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!findKubeconform() || !existsSync(SCHEMAS)) {
  console.error(`bench: validate skipped (needs kubeconform on PATH and schemas at ${SCHEMAS})`);
  process.exit(0);
}

/** One validate run: wall ms and its closing summary line. */
function validate(dir: string, cache: string): { ms: number; summary: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'run.cjs'), 'validate', dir, '--schemas', SCHEMAS], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ZT_VALIDATE_CACHE: cache },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`validate failed: ${r.stdout}${r.stderr}`);
  return { ms, summary: r.stdout.trim().split('\n').at(-1)! };
}

/** Edits every manifest of one component (a label value), keeping it valid. */
function changeComponent(dir: string, component: string): number {
  const files = readdirSync(join(dir, component)).filter((f) => f.endsWith('.yaml') && f !== 'values.yaml');
  for (const f of files) {
    const p = join(dir, component, f);
    writeFileSync(
      p,
      readFileSync(p, 'utf8').replace(/app\.kubernetes\.io\/name: (\S+)/, (_, v) => `app.kubernetes.io/name: ${v}-x`),
    );
  }
  return files.length;
}

function measure(label: string, source: string, runs: number) {
  const cold: number[] = [];
  const warm: number[] = [];
  const changed: number[] = [];
  let summaries: string[] = [];
  for (let i = 0; i < runs; i++) {
    const root = mkdtempSync(join(tmpdir(), 'bench-validate-'));
    const dir = join(root, 'dist');
    cpSync(source, dir, { recursive: true });
    const cache = join(root, 'cache');
    const c = validate(dir, cache);
    const w = validate(dir, cache);
    changeComponent(dir, readdirSync(dir).includes('dev') ? 'dev/whoami' : `${readdirSync(dir).find((d) => d.startsWith('gen-'))}/whoami`);
    const x = validate(dir, cache);
    cold.push(c.ms);
    warm.push(w.ms);
    changed.push(x.ms);
    summaries = [c.summary, w.summary, x.summary].map((s) => s.replace(/^validate: /, '').replace(/, in \d+ ms$/, ''));
    rmSync(root, { recursive: true, force: true });
  }
  console.log(
    `${label.padEnd(24)}${median(cold).toFixed(0).padStart(9)}${median(warm).toFixed(0).padStart(9)}${median(changed).toFixed(0).padStart(16)}${String(runs).padStart(6)}`,
  );
  for (const [what, s] of [
    ['cold', summaries[0]],
    ['warm', summaries[1]],
    ['one component', summaries[2]],
  ])
    console.log(`${''.padEnd(26)}${what}: ${s}`);
}

console.log('validate: node scripts/run.cjs validate --schemas <offline>, a new process each; median wall ms');
console.log(`${'tree'.padEnd(24)}${'cold'.padStart(9)}${'warm'.padStart(9)}${'one component'.padStart(16)}${'runs'.padStart(6)}`);
measure('dist/ (3 environments)', join(REPO, 'dist'), Number(process.env.BENCH_RUNS ?? 3));
const envs = generatedEnvironments(30);
const out = join(mkdtempSync(join(tmpdir(), 'bench-validate-src-')), 'dist');
try {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'run.cjs'), 'synth', '--environments', envs, '--out', out, '--charts', CHARTS], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  measure('30 generated', out, 1);
} finally {
  rmSync(envs, { recursive: true, force: true });
  rmSync(join(out, '..'), { recursive: true, force: true });
}
