/**
 * `pnpm charts pull`: fetch pinned charts from their publishers into the charts directory and
 * record their digests in charts.lock.json. The only step that uses the network; rendering
 * (template.ts) then works from the folders alone.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors';
import { DEFAULT_LOCK_FILE, findEntry, LOCK_FILE_NAME, type Lock, type LockEntry, mergeEntries, readLock, writeLock } from './lock';
import { type ChartRef, chartDigest, chartFolderName, chartLabel, DEFAULT_CHARTS_DIR, readChartMetadata } from './source';
import { firstMeaningfulLine, resolveHelm } from './template';

const run = promisify(execFile);

interface PullOptions {
  /** Default `.charts/` at the repository root. */
  chartsDir?: string;
  /** Default charts.lock.json at the repository root; created when missing. */
  lockFile?: string;
  /** The helm binary (see `findHelm`). */
  helm?: string;
  /** Accept a chart whose content differs from its locked digest (and re-lock it). */
  update?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

interface PullResult {
  /** Charts fetched (and moved into place). */
  pulled: LockEntry[];
  /** Charts already present with their locked digest (not fetched). */
  current: LockEntry[];
}

/** The `helm pull` arguments for a ref: `oci://<repo>/<chart>`, or `--repo <url> <chart>`. */
export function pullArgs(ref: ChartRef, untarDir: string): string[] {
  const common = ['--version', ref.version, '--untar', '--untardir', untarDir];
  if (ref.repository.startsWith('oci://')) return ['pull', `${ref.repository.replace(/\/+$/, '')}/${ref.chart}`, ...common];
  if (/^https?:\/\//.test(ref.repository)) return ['pull', ref.chart, '--repo', ref.repository, ...common];
  throw new UserError(`chart ${chartLabel(ref)}: repository ${JSON.stringify(ref.repository)} is neither oci:// nor http(s)://`);
}

/**
 * Fetches each ref with `helm pull --untar` into a temp folder inside the charts directory (same
 * file system, so the final move is an atomic rename), checks its Chart.yaml, computes its digest
 * and swaps it in as `<chart>-<version>/`. A chart already present with its locked digest is not
 * fetched again. A fetched chart whose digest differs from the lock is refused unless `update`:
 * the publisher re-pushed the version, or the lock was made from another copy. The lock is
 * rewritten (merged: other charts' entries are kept) with whatever succeeded, even on failure.
 */
export async function pullCharts(refs: readonly ChartRef[], opts: PullOptions = {}): Promise<PullResult> {
  const chartsDir = resolve(opts.chartsDir ?? DEFAULT_CHARTS_DIR);
  const lockFile = resolve(opts.lockFile ?? DEFAULT_LOCK_FILE);
  const log = opts.log ?? (() => {});
  const lock: Lock = existsSync(lockFile) ? readLock(lockFile) : { charts: [] };
  const result: PullResult = { pulled: [], current: [] };
  const helm = refs.length > 0 ? resolveHelm(opts.helm) : '';
  mkdirSync(chartsDir, { recursive: true });
  try {
    for (const ref of refs) {
      const label = chartLabel(ref);
      const target = join(chartsDir, chartFolderName(ref));
      const locked = findEntry(lock, ref);
      if (locked && locked.repository === ref.repository && existsSync(join(target, 'Chart.yaml')) && chartDigest(target) === locked.digest) {
        result.current.push(locked);
        log(`${label}: up to date (${locked.digest.slice(0, 19)}...)`);
        continue;
      }
      const tmp = mkdtempSync(join(chartsDir, '.pull-'));
      try {
        const untar = join(tmp, 'out');
        // A private repository cache and config: a pull depends on nothing but the flags.
        const env = { ...process.env, HELM_REPOSITORY_CACHE: join(tmp, 'cache'), HELM_REPOSITORY_CONFIG: join(tmp, 'repositories.yaml') };
        try {
          await run(helm, pullArgs(ref, untar), { env, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
        } catch (e) {
          const err = e as { stderr?: string; message: string };
          throw new UserError(`chart ${label}: helm pull from ${ref.repository} failed: ${firstMeaningfulLine(err.stderr) ?? err.message.split('\n')[0]}`);
        }
        const pulled = join(untar, ref.chart);
        if (!existsSync(join(pulled, 'Chart.yaml'))) throw new UserError(`chart ${label}: helm pull from ${ref.repository} gave no ${ref.chart}/Chart.yaml`);
        const meta = readChartMetadata(pulled);
        if (meta.chart !== ref.chart || meta.version !== ref.version) {
          throw new UserError(`chart ${label}: ${ref.repository} served ${meta.chart} ${meta.version}`);
        }
        const digest = chartDigest(pulled);
        if (locked && locked.digest !== digest && !opts.update) {
          throw new UserError(
            `chart ${label} from ${ref.repository}: digest ${digest} does not match ${LOCK_FILE_NAME} (${locked.digest}); ` +
              'if the new content is expected, run pnpm charts pull --update',
          );
        }
        if (existsSync(target)) renameSync(target, join(tmp, 'previous'));
        renameSync(pulled, target);
        const entry = { ...ref, digest };
        result.pulled.push(entry);
        log(`${label}: pulled from ${ref.repository} (${digest.slice(0, 19)}...)`);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  } finally {
    const changed = result.pulled.filter((e) => findEntry(lock, e)?.digest !== e.digest || findEntry(lock, e)?.repository !== e.repository);
    if (changed.length > 0) writeLock(lockFile, mergeEntries(lock, result.pulled));
  }
  return result;
}
