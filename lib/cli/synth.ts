/**
 * `pnpm synth [--env <name>]... [--out <dir>] [--environments <dir>] [--argocd-config <file>] [--check]`
 *
 * Renders environments into `dist/<env>/<component>/` and, when every environment is rendered,
 * the Argo CD objects into `dist/argocd/` (docs/argocd.md). Everything is rendered in memory first,
 * so a bad environment fails before any file is touched; then the tree is swapped in atomically.
 * `--check` writes nothing and exits 1 when the output directory differs from a fresh render.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { DEFAULT_ARGO_CONFIG, loadArgoConfig } from '../../argocd/settings';
import { defaultCrdsDir } from '../charts/crds';
import { DEFAULT_ENVIRONMENTS_DIR, loadEnvironments, REPO_ROOT } from '../load';
import { listFiles, readTree, useYamlMemo, writeTree } from '../output';
import { defaultChartsDir, synthesize } from '../synth';
import { count, guard, type Io, processIo, progress, runIfMain } from './run';
import { DEFAULT_YAML_MEMO, KeptYamlMemo } from './yaml-memo';

const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)];

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('synth')
      .description('Render environments into dist/<env>/<component>/')
      .addOption(new Option('-e, --env <name>', 'render only this environment (repeatable)').argParser(collect).default([]))
      .option('-o, --out <dir>', 'output directory', process.env.CDK8S_OUTDIR ?? resolve(REPO_ROOT, 'dist'))
      .option('--environments <dir>', 'directory of environment definitions', DEFAULT_ENVIRONMENTS_DIR)
      .option('--check', 'write nothing; exit 1 when the output directory is not what synth renders', false)
      .option('--argocd-config <file>', 'Argo CD configuration (repository URL, revisions)', DEFAULT_ARGO_CONFIG)
      .option('--charts <dir>', 'directory of upstream charts (<chart>-<version>/), as pnpm charts pull fills it (default: $ZT_CHARTS_DIR, else .charts/)')
      .option('--crds <dir>', 'directory of upstream CRD bundles (<bundle>/<file>), as pnpm charts pull fills it (default: $ZT_CRDS_DIR, else .charts/crds/)')
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const opts = program.opts<{ env: string[]; out: string; environments: string; check: boolean; argocdConfig: string; charts?: string; crds?: string }>();

    const started = performance.now();
    const memo = KeptYamlMemo.load(process.env.ZT_SYNTH_CACHE ? resolve(process.env.ZT_SYNTH_CACHE) : DEFAULT_YAML_MEMO);
    useYamlMemo(memo);
    try {
      return await render(io, opts, started, memo);
    } finally {
      useYamlMemo(undefined);
    }
  });
}

/** Loads, renders and writes (or checks), with toYaml's memo in place. */
async function render(
  io: Io,
  opts: { env: string[]; out: string; environments: string; check: boolean; argocdConfig: string; charts?: string; crds?: string },
  started: number,
  memo: KeptYamlMemo,
): Promise<number> {
  const envs = await loadEnvironments(resolve(opts.environments), opts.env);
  const scope = opts.env.length > 0 ? envs.map((e) => e.name) : undefined;
  // dist/argocd holds one ApplicationSet per environment: only a full render may replace it.
  const argocd = scope
    ? undefined
    : await loadArgoConfig(
        envs.map((e) => e.name),
        resolve(opts.argocdConfig),
      );
  let done = 0;
  const outDir = resolve(opts.out);
  const result = synthesize(envs, {
    argocd,
    // Charts not in the charts directory are reused from the previous output while their inputs are unchanged.
    charts: { dir: opts.charts ? resolve(opts.charts) : defaultChartsDir(), crdsDir: opts.crds ? resolve(opts.crds) : defaultCrdsDir(), previous: outDir },
    onEnvironment: (p) =>
      progress(io, `synth: [${++done}/${envs.length}] ${p.env}: ${count(p.components, 'component')}, ${count(p.objects, 'object')} in ${Math.round(p.ms)} ms`),
  });

  memo.save(scope !== undefined);
  if (opts.check) return check(io, outDir, result.files, scope);

  writeTree(outDir, result.files, scope);
  const ms = Math.round(performance.now() - started);
  const componentCount = result.components.length;
  io.out(
    `synth: ${count(envs.length, 'environment')} (${envs.map((e) => e.name).join(', ')}), ` +
      `${componentCount} components, ${result.objects} objects, ${result.files.length} files in ${ms} ms -> ${outDir}`,
  );
  return 0;
}

function check(io: Io, outDir: string, files: readonly { path: string; content: string }[], scope?: readonly string[]): number {
  const inScope = (p: string) => !scope || scope.includes(p.split('/')[0]!);
  const current = readTree(outDir);
  const wanted = new Map(files.map((f) => [f.path, f.content]));
  const stale = [...new Set([...listFiles(outDir).filter(inScope), ...wanted.keys()])].filter((p) => current.get(p) !== wanted.get(p)).sort();
  if (stale.length === 0) {
    io.out(`synth --check: ${outDir} is up to date (${wanted.size} files)`);
    return 0;
  }
  const first = stale[0]!;
  io.err(createTwoFilesPatch(`a/${first}`, `b/${first}`, current.get(first) ?? '', wanted.get(first) ?? '').trimEnd());
  io.err(`error: ${stale.length} file(s) in ${outDir} differ from what synth renders (first: ${first}); run pnpm synth and commit dist/`);
  return 1;
}

runIfMain(module, main);
