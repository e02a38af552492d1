/**
 * Where upstream Helm charts live on disk and how their content is identified.
 *
 * A charts directory holds one folder per chart, `<chart>-<version>/`, each a complete unpacked
 * chart (what `helm pull --untar` gives, dependencies under `charts/`). Synth renders from these
 * folders only, never from a repository, so a render is offline and reproducible; the folder's
 * digest (recorded in charts.lock.json) proves it is the chart that was reviewed.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../errors';

/** A pinned chart: its name, exact version and the repository it is published in. */
export interface ChartRef {
  /** The chart's name (`name` in its Chart.yaml), e.g. `twingate-operator`. */
  chart: string;
  /** The exact version (`version` in its Chart.yaml), e.g. `2.0.0` or `v1.21.1`. */
  version: string;
  /** `oci://<registry>/<path>` (the chart is `<repository>/<chart>`) or an `https://` Helm repository. */
  repository: string;
}

/** The root of the repository (lib/charts/ -> ../..), for default paths. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Where `pnpm charts pull` puts charts unless told otherwise (git-ignored). */
export const DEFAULT_CHARTS_DIR = join(REPO_ROOT, '.charts');

/** The folder name of a chart in a charts directory: `<chart>-<version>`. */
export function chartFolderName(ref: Pick<ChartRef, 'chart' | 'version'>): string {
  return `${ref.chart}-${ref.version}`;
}

/** `chart-version` for messages. */
export function chartLabel(ref: Pick<ChartRef, 'chart' | 'version'>): string {
  return chartFolderName(ref);
}

/**
 * The folder of `ref` in `chartsDir`, or a one-line UserError saying where it looked and how
 * to get it. The folder must hold a Chart.yaml: an interrupted copy is not a chart.
 */
export function locateChart(chartsDir: string, ref: Pick<ChartRef, 'chart' | 'version'>): string {
  const dir = join(resolve(chartsDir), chartFolderName(ref));
  if (!existsSync(join(dir, 'Chart.yaml'))) {
    const what = existsSync(dir) ? `${dir} has no Chart.yaml` : `${dir} does not exist`;
    throw new UserError(`chart ${chartLabel(ref)} not found: ${what} (run pnpm charts pull)`);
  }
  return dir;
}

/**
 * Every regular file of a chart folder as `/`-separated paths relative to it, sorted by code
 * unit (not locale) so the order is the same on every machine. Symbolic links are not followed:
 * one that points inside the folder is listed as a link (its target is hashed, and the target
 * file's content is covered on its own); one that points outside is an error, since its content
 * could change without changing the digest.
 */
export function chartFiles(dir: string): { path: string; link?: string }[] {
  const root = resolve(dir);
  const realRoot = realpathSync(root);
  const out: { path: string; link?: string }[] = [];
  const walk = (abs: string) => {
    for (const name of readdirSync(abs)) {
      const full = join(abs, name);
      const rel = relative(root, full).split(sep).join('/');
      const st = lstatSync(full);
      if (st.isSymbolicLink()) {
        const target = resolve(dirname(full), readlinkSync(full));
        let real: string;
        try {
          real = realpathSync(target);
        } catch {
          throw new UserError(`chart folder ${root}: symbolic link ${rel} is dangling`);
        }
        if (real !== realRoot && !real.startsWith(realRoot + sep)) {
          throw new UserError(`chart folder ${root}: symbolic link ${rel} points outside the folder (${real})`);
        }
        out.push({ path: rel, link: relative(realRoot, real).split(sep).join('/') });
      } else if (st.isDirectory()) {
        walk(full);
      } else if (st.isFile()) {
        out.push({ path: rel });
      }
    }
  };
  walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * `sha256:<hex>` over every file of a chart folder: for each file, in sorted path order, its
 * relative path, its byte length and its bytes (length-prefixed, so no two trees share a stream).
 * Modes, times and empty directories are left out: Helm ignores them too.
 */
export function chartDigest(dir: string): string {
  const hash = createHash('sha256');
  hash.update('zt-chart-digest-v1\0');
  for (const f of chartFiles(dir)) {
    if (f.link !== undefined) {
      hash.update(`L\0${f.path}\0${f.link}\0`);
      continue;
    }
    const bytes = readFileSync(join(dir, f.path));
    hash.update(`F\0${f.path}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return `sha256:${hash.digest('hex')}`;
}

const memo = new Map<string, { fingerprint: string; digest: string }>();

/**
 * A cheap fingerprint of a folder (paths, sizes, modification times in nanoseconds, inodes):
 * a stat walk, no reads, so a memoised digest is recomputed when a file is edited.
 */
function fingerprint(dir: string): string {
  const h = createHash('sha256');
  for (const f of chartFiles(dir)) {
    const st = lstatSync(join(dir, f.path), { bigint: true });
    h.update(`${f.path}\0${f.link ?? ''}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}\0${st.ino}\n`);
  }
  return h.digest('hex');
}

/**
 * `chartDigest`, memoised for the process by folder and fingerprint: reading a large chart
 * (kyverno is 7 MB) once per synth is enough, while an edit to a file is still noticed.
 */
export function cachedChartDigest(dir: string): string {
  const key = resolve(dir);
  if (!statSync(key).isDirectory()) throw new UserError(`chart folder ${key} is not a directory`);
  const fp = fingerprint(key);
  const hit = memo.get(key);
  if (hit && hit.fingerprint === fp) return hit.digest;
  const digest = chartDigest(key);
  memo.set(key, { fingerprint: fp, digest });
  return digest;
}

/** A chart folder found in a charts directory, with its Chart.yaml name and version. */
interface ChartFolder {
  dir: string;
  chart: string;
  version: string;
}

/** The name and version a chart folder's Chart.yaml declares. */
export function readChartMetadata(dir: string): { chart: string; version: string } {
  const file = join(dir, 'Chart.yaml');
  let meta: { name?: unknown; version?: unknown } | null;
  try {
    // failsafe: every scalar a string, so `version: 1.10` stays "1.10" (as Helm reads it).
    meta = parse(readFileSync(file, 'utf8'), { schema: 'failsafe' }) as typeof meta;
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof meta?.name !== 'string' || meta.name === '') throw new UserError(`${file}: no name`);
  if (meta.version === undefined || meta.version === null || String(meta.version) === '') throw new UserError(`${file}: no version`);
  return { chart: meta.name, version: String(meta.version) };
}

/**
 * Every chart folder of a charts directory (sub-directories with a Chart.yaml; other entries,
 * such as a README, are ignored), sorted by folder name. A folder not named
 * `<name>-<version>` after its Chart.yaml is an error: `locateChart` could never find it.
 */
export function scanChartsDir(chartsDir: string): ChartFolder[] {
  const root = resolve(chartsDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UserError(`charts directory ${root} does not exist`);
  return readdirSync(root)
    .filter((name) => !name.startsWith('.') && statSync(join(root, name)).isDirectory() && existsSync(join(root, name, 'Chart.yaml')))
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const meta = readChartMetadata(dir);
      if (chartFolderName(meta) !== name) {
        throw new UserError(`chart folder ${dir}: its Chart.yaml says ${meta.chart} ${meta.version}, so the folder must be named ${chartFolderName(meta)}`);
      }
      return { dir, ...meta };
    });
}
