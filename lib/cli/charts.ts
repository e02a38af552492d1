/**
 * `pnpm charts <command>`: the upstream charts synth renders, pinned by content.
 *
 * - `pull [--charts-dir <dir>] [--lock <file>] [--update] [--helm <bin>]`: fetch the pinned charts
 *   (every chart version an environment renders) into the charts directory (default `.charts/`) and lock their digests.
 * - `lock --charts-dir <dir> [--lock <file>] [--repository <chart>=<url>]...`: lock every chart
 *   folder of an existing directory (charts obtained without `pull`, e.g. a reviewed offline copy).
 * - `verify [--charts-dir <dir>] [--lock <file>] [--all]`: check folders against the lock.
 *
 * Each also handles the upstream CRD files components deliver (`crds`, lib/charts/crds.ts): in
 * the CRDs directory (`--crds-dir`, default `$ZT_CRDS_DIR`, else `<charts dir>/crds`), locked in
 * crds.lock.json beside the chart lock.
 *
 * Only `pull` uses the network. Exit codes follow lib/cli/run.ts: 1 for a user error or a
 * failed check, 2 for a bug.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { chartRepositories, chartsOf, crdBundlesOf } from '../../platform/registry';
import { CRD_LOCK_FILE_NAME, formatCrdLock, lockCrdsDirectory, pullCrds, readCrdLock, verifyCrds, writeCrdLock } from '../charts/crds';
import { DEFAULT_LOCK_FILE, formatLock, lockDirectory, readLock, verifyDirectory, writeLock } from '../charts/lock';
import { PUBLISHER_REPOSITORIES } from '../charts/pinned';
import { pullCharts } from '../charts/pull';
import { DEFAULT_CHARTS_DIR, REPO_ROOT } from '../charts/source';

/** The charts directory: `$ZT_CHARTS_DIR` when set (as synth reads it), else `.charts/`. */
const chartsDirDefault = process.env.ZT_CHARTS_DIR ? resolve(process.env.ZT_CHARTS_DIR) : DEFAULT_CHARTS_DIR;

import { UserError } from '../errors';
import { DEFAULT_ENVIRONMENTS_DIR, loadEnvironments } from '../load';
import { guard, type Io, processIo, runIfMain } from './run';

const collect = (value: string, previous: string[]) => [...previous, value];

/** The CRDs directory of a command: `--crds-dir`, else `$ZT_CRDS_DIR`, else `crds/` inside the charts directory. */
const crdsDirOf = (opts: { crdsDir?: string; chartsDir?: string }) =>
  resolve(opts.crdsDir ?? process.env.ZT_CRDS_DIR ?? join(opts.chartsDir ?? DEFAULT_CHARTS_DIR, 'crds'));
/** The CRD lock: crds.lock.json beside the chart lock. */
const crdLockOf = (lock: string) => join(dirname(resolve(lock)), CRD_LOCK_FILE_NAME);

/** `chart=url` flags as a map. */
function repositoryFlags(flags: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    flags.map((f) => {
      const m = /^([^=\s]+)=(\S+)$/.exec(f);
      if (!m) throw new UserError(`--repository ${JSON.stringify(f)} is not <chart>=<repository url>`);
      return [m[1]!, m[2]!];
    }),
  );
}

/** A path for messages: relative to the repository when inside it. */
const show = (p: string) => {
  const rel = relative(REPO_ROOT, p);
  return rel && !rel.startsWith('..') ? rel : p;
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    let code = 0;
    const program = new Command('charts')
      .description('Upstream Helm charts: pull, lock and verify (charts.lock.json)')
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

    program
      .command('pull')
      .description('fetch the pinned charts into the charts directory and lock their digests (uses the network)')
      .option('--charts-dir <dir>', 'charts directory (default: $ZT_CHARTS_DIR, else .charts/)', chartsDirDefault)
      .option('--lock <file>', 'lock file', DEFAULT_LOCK_FILE)
      .option('--update', 'accept a chart whose content differs from its locked digest', false)
      .option('--helm <bin>', 'helm binary (default: $HELM, PATH, $(go env GOPATH)/bin)')
      .option('--crds-dir <dir>', 'CRDs directory (default: $ZT_CRDS_DIR, else <charts dir>/crds)')
      .action(async (opts: { chartsDir: string; lock: string; update: boolean; helm?: string; crdsDir?: string }) => {
        const envs = await loadEnvironments(DEFAULT_ENVIRONMENTS_DIR);
        const refs = chartsOf(envs);
        const r = await pullCharts(refs, {
          chartsDir: opts.chartsDir,
          lockFile: opts.lock,
          update: opts.update,
          ...(opts.helm ? { helm: opts.helm } : {}),
          log: (line) => io.out(`charts pull: ${line}`),
        });
        io.out(`charts pull: ${r.pulled.length} pulled, ${r.current.length} up to date -> ${show(resolve(opts.chartsDir))}, ${show(resolve(opts.lock))}`);
        const bundles = crdBundlesOf(envs);
        if (bundles.length === 0) return;
        const c = await pullCrds(bundles, {
          crdsDir: crdsDirOf(opts),
          lockFile: crdLockOf(opts.lock),
          update: opts.update,
          log: (line) => io.out(`charts pull: ${line}`),
        });
        io.out(`charts pull: ${c.pulled.length} CRD files fetched, ${c.current.length} up to date -> ${show(crdsDirOf(opts))}, ${show(crdLockOf(opts.lock))}`);
      });

    program
      .command('lock')
      .description('record the digests of every chart folder of a directory in the lock file')
      .option('--charts-dir <dir>', 'charts directory (one <chart>-<version>/ folder per chart)')
      .option('--crds-dir <dir>', 'CRDs directory (one <bundle>/ folder per CRD bundle the environments deliver): writes crds.lock.json')
      .option('--lock <file>', 'lock file', DEFAULT_LOCK_FILE)
      .option('--repository <chart=url>', "a chart's repository when the lock and the publishers' list lack it (repeatable)", collect, [])
      .action(async (opts: { chartsDir?: string; crdsDir?: string; lock: string; repository: string[] }) => {
        if (!opts.chartsDir && !opts.crdsDir) throw new UserError('charts lock needs --charts-dir <dir> or --crds-dir <dir>');
        if (opts.crdsDir) {
          const entries = lockCrdsDirectory(crdBundlesOf(await loadEnvironments(DEFAULT_ENVIRONMENTS_DIR)), opts.crdsDir);
          const crdLock = crdLockOf(opts.lock);
          const current = existsSync(crdLock) ? readCrdLock(crdLock) : undefined;
          if (!current || formatCrdLock(current.crds) !== formatCrdLock(entries)) writeCrdLock(crdLock, entries);
          io.out(`charts lock: ${entries.length} CRD files from ${show(resolve(opts.crdsDir))} -> ${show(crdLock)}`);
        }
        if (!opts.chartsDir) return;
        const lockFile = resolve(opts.lock);
        const current = existsSync(lockFile) ? readLock(lockFile) : undefined;
        const entries = lockDirectory(opts.chartsDir, {
          current,
          repositories: repositoryFlags(opts.repository),
          known: { ...PUBLISHER_REPOSITORIES, ...chartRepositories() },
        });
        if (entries.length === 0) throw new UserError(`charts directory ${resolve(opts.chartsDir)} holds no chart folder (<chart>-<version>/Chart.yaml)`);
        const before = new Map((current?.charts ?? []).map((c) => [`${c.chart}-${c.version}`, c.digest]));
        const after = new Map(entries.map((c) => [`${c.chart}-${c.version}`, c.digest]));
        const added = [...after.keys()].filter((k) => !before.has(k)).length;
        const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).length;
        const removed = [...before.keys()].filter((k) => !after.has(k)).length;
        if (!current || formatLock(current.charts) !== formatLock(entries)) writeLock(lockFile, entries);
        io.out(
          `charts lock: ${entries.length} charts from ${show(resolve(opts.chartsDir))} -> ${show(lockFile)} ` +
            `(${added} added, ${changed} changed, ${removed} removed)`,
        );
      });

    program
      .command('verify')
      .description('check chart folders against the lock: the pinned charts must be present, every present locked chart must match')
      .option('--charts-dir <dir>', 'charts directory (default: $ZT_CHARTS_DIR, else .charts/)', chartsDirDefault)
      .option('--lock <file>', 'lock file', DEFAULT_LOCK_FILE)
      .option('--all', 'require every locked chart to be present, not only the pinned ones', false)
      .option('--crds-dir <dir>', 'CRDs directory (default: $ZT_CRDS_DIR, else <charts dir>/crds)')
      .action(async (opts: { chartsDir: string; lock: string; all: boolean; crdsDir?: string }) => {
        const lock = readLock(resolve(opts.lock));
        const envs = await loadEnvironments(DEFAULT_ENVIRONMENTS_DIR);
        const r = verifyDirectory(opts.chartsDir, lock, { required: chartsOf(envs), all: opts.all });
        const bundles = crdBundlesOf(envs);
        let crds: { ok: number; errors: string[] } = { ok: 0, errors: [] };
        if (bundles.length) {
          try {
            crds = verifyCrds(bundles, crdsDirOf(opts), readCrdLock(crdLockOf(opts.lock)));
          } catch (e) {
            if (!(e instanceof UserError)) throw e;
            crds = { ok: 0, errors: [e.message] };
          }
        }
        r.errors.push(...crds.errors);
        for (const e of r.errors) io.err(`error: ${e}`);
        const extra = [
          r.absent.length ? `${r.absent.length} locked but absent (not pinned)` : '',
          r.unlocked.length ? `${r.unlocked.length} folders not in the lock (${r.unlocked.join(', ')})` : '',
        ].filter(Boolean);
        const summary = `${r.ok.length} charts in ${show(resolve(opts.chartsDir))} match ${show(resolve(opts.lock))}${bundles.length ? `, ${crds.ok} CRD files in ${show(crdsDirOf(opts))} match ${CRD_LOCK_FILE_NAME}` : ''}${extra.length ? `; ${extra.join('; ')}` : ''}`;
        if (r.errors.length > 0) {
          io.err(`error: charts verify: ${r.errors.length} problem(s); ${summary}`);
          code = 1;
        } else {
          io.out(`charts verify: ${summary}`);
        }
      });

    await program.parseAsync(argv, { from: 'user' });
    return code;
  });
}

runIfMain(module, main);
