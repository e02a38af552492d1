/**
 * charts.lock.json: the digest of every upstream chart the platform renders, committed.
 *
 * A version number alone does not pin a chart: a publisher can re-push a tag, and a local copy
 * can be edited. The lock records the content (see `chartDigest`), so rendering a folder whose
 * files differ from what was reviewed fails instead of silently changing the cluster.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { type ChartRef, cachedChartDigest, chartLabel, locateChart, REPO_ROOT, scanChartsDir } from './source';

/** One locked chart. */
export interface LockEntry extends ChartRef {
  /** `sha256:<hex>` of the unpacked chart folder (`chartDigest`). */
  digest: string;
}

export interface Lock {
  charts: LockEntry[];
}

export const LOCK_FILE_NAME = 'charts.lock.json';
export const DEFAULT_LOCK_FILE = join(REPO_ROOT, LOCK_FILE_NAME);

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Orders versions with digit runs compared as numbers (0.1.9 before 0.1.10), falling back to
 * code-unit order: stable on every machine and readable in a diff.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [x, y] = [pa[i]!, pb[i]!];
    if (x === y) continue;
    const numeric = /^\d/.test(x) && /^\d/.test(y);
    if (numeric && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Entries sorted by chart, then version; keys in a fixed order. */
function sortEntries(entries: readonly LockEntry[]): LockEntry[] {
  return entries
    .map(({ chart, version, repository, digest }) => ({ chart, version, repository, digest }))
    .sort((a, b) => (a.chart < b.chart ? -1 : a.chart > b.chart ? 1 : compareVersions(a.version, b.version)));
}

/** The lock file's text: 2-space JSON and a final newline, entries sorted. */
export function formatLock(entries: readonly LockEntry[]): string {
  return `${JSON.stringify({ charts: sortEntries(entries) }, null, 2)}\n`;
}

/** Reads and checks a lock file; a missing or malformed one is a one-line UserError. */
export function readLock(file: string = DEFAULT_LOCK_FILE): Lock {
  if (!existsSync(file)) throw new UserError(`${file} does not exist (run pnpm charts pull, or pnpm charts lock --charts-dir <dir>)`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const charts = (data as { charts?: unknown })?.charts;
  if (!Array.isArray(charts)) throw new UserError(`${file}: expected an object with a "charts" array`);
  const seen = new Set<string>();
  charts.forEach((c: Record<string, unknown>, i) => {
    for (const k of ['chart', 'version', 'repository', 'digest'] as const) {
      if (typeof c?.[k] !== 'string' || c[k] === '') throw new UserError(`${file}: charts[${i}].${k} must be a non-empty string`);
    }
    if (!DIGEST.test(c.digest as string)) throw new UserError(`${file}: charts[${i}].digest ${JSON.stringify(c.digest)} is not sha256:<64 hex digits>`);
    const id = chartLabel(c as unknown as ChartRef);
    if (seen.has(id)) throw new UserError(`${file}: chart ${id} is listed twice`);
    seen.add(id);
  });
  return { charts: charts as LockEntry[] };
}

/** Writes the lock atomically (a temp file renamed over it), so a crash never leaves half a file. */
export function writeLock(file: string, entries: readonly LockEntry[]): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, formatLock(entries));
  renameSync(tmp, file);
}

/** The lock's entry for a chart version, if any. */
export function findEntry(lock: Lock, ref: Pick<ChartRef, 'chart' | 'version'>): LockEntry | undefined {
  return lock.charts.find((c) => c.chart === ref.chart && c.version === ref.version);
}

/** Entries of `lock` with `updates` replacing those of the same chart version. */
export function mergeEntries(lock: Lock | undefined, updates: readonly LockEntry[]): LockEntry[] {
  const byId = new Map((lock?.charts ?? []).map((c) => [chartLabel(c), c]));
  for (const u of updates) byId.set(chartLabel(u), u);
  return sortEntries([...byId.values()]);
}

/**
 * Checks that `dir` holds exactly the locked content of `ref` and returns its digest. Throws a
 * one-line UserError when the version is not locked, was locked from another repository, or the
 * folder's digest differs. The digest is memoised per folder for the process (`cachedChartDigest`).
 */
export function verifyChart(lock: Lock, ref: ChartRef, dir: string): string {
  const entry = findEntry(lock, ref);
  if (!entry) throw new UserError(`chart ${ref.chart} version ${ref.version} is not in ${LOCK_FILE_NAME} (run pnpm charts pull)`);
  if (entry.repository !== ref.repository) {
    throw new UserError(`chart ${chartLabel(ref)} is locked from ${entry.repository} in ${LOCK_FILE_NAME}, not ${ref.repository} (run pnpm charts pull)`);
  }
  const digest = cachedChartDigest(dir);
  if (digest !== entry.digest) {
    throw new UserError(`chart ${chartLabel(ref)} in ${dir}: digest ${digest} does not match ${LOCK_FILE_NAME} (${entry.digest})`);
  }
  return digest;
}

/**
 * Lock entries for every chart folder of `chartsDir`: how a lock is made from charts obtained
 * some other way than `pnpm charts pull` (a reviewed copy, an air-gapped mirror). A chart's
 * repository comes from `repositories` (explicit), else the lock's current entry for the same
 * chart, else `known` (the publishers'); a chart with none is an error.
 */
export function lockDirectory(
  chartsDir: string,
  opts: { current?: Lock; repositories?: Readonly<Record<string, string>>; known?: Readonly<Record<string, string>> } = {},
): LockEntry[] {
  return sortEntries(
    scanChartsDir(chartsDir).map(({ dir, chart, version }) => {
      const repository = opts.repositories?.[chart] ?? opts.current?.charts.find((c) => c.chart === chart)?.repository ?? opts.known?.[chart];
      if (!repository) throw new UserError(`chart ${chart}-${version} in ${dir}: no repository known for ${chart} (pass --repository ${chart}=<url>)`);
      return { chart, version, repository, digest: cachedChartDigest(dir) };
    }),
  );
}

interface VerifyReport {
  /** Charts whose folder matched the lock. */
  ok: string[];
  /** One-line problems (missing folder, not locked, digest mismatch). */
  errors: string[];
  /** Locked charts without a folder that nothing required (not in `required`, no `all`). */
  absent: string[];
  /** Folders of the directory that the lock does not list. */
  unlocked: string[];
}

/**
 * Checks a charts directory against the lock: every `required` chart must be present, locked
 * and match; every other locked chart must match when present (all must be present with
 * `all`). Collects every problem instead of stopping at the first.
 */
export function verifyDirectory(chartsDir: string, lock: Lock, opts: { required?: readonly ChartRef[]; all?: boolean } = {}): VerifyReport {
  const report: VerifyReport = { ok: [], errors: [], absent: [], unlocked: [] };
  const attempt = (ref: ChartRef) => {
    try {
      verifyChart(lock, ref, locateChart(chartsDir, ref));
      report.ok.push(chartLabel(ref));
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      report.errors.push(e.message);
    }
  };
  const required = opts.required ?? [];
  const requiredIds = new Set(required.map(chartLabel));
  for (const ref of required) attempt(ref);
  for (const entry of sortEntries(lock.charts)) {
    if (requiredIds.has(chartLabel(entry))) continue;
    if (opts.all || existsSync(join(resolve(chartsDir), chartLabel(entry)))) attempt(entry);
    else report.absent.push(chartLabel(entry));
  }
  if (existsSync(chartsDir)) {
    const locked = new Set(lock.charts.map(chartLabel));
    report.unlocked = scanChartsDir(chartsDir)
      .map(chartLabel)
      .filter((id) => !locked.has(id));
  }
  return report;
}
