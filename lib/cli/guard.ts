/**
 * `pnpm guard [--dist <dir>] [--repo <dir>] [--no-gitleaks]`
 *
 * The guardrails CI runs over what is committed:
 * - kube-score (v1.20.0) over every rendered manifest of dist/ (not component.json, values.yaml
 *   or ACCESS.md), one run per top-level directory (an environment, or argocd/) so its
 *   cross-object checks (Services, NetworkPolicies, PodDisruptionBudgets) see the whole
 *   environment. A warning or critical finding fails; an exception is the
 *   `kube-score/ignore` annotation synth writes from a component's `scoreExceptions`, with
 *   its reason beside it.
 * - gitleaks (v8.28.0) over the repository, dist/ included (`detect --no-git`, .gitleaks.toml).
 *
 * Prints one summary line; on findings, exits 1 and lists them one per line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../errors';
import { REPO_ROOT } from '../load';
import { guard, type Io, processIo, runIfMain } from './run';

export const KUBE_SCORE_INSTALL = 'go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0';
export const GITLEAKS_INSTALL = 'go install github.com/zricethezav/gitleaks/v8@v8.28.0';
/** kube-score grades: 1 critical, 5 warning, 7 almost OK, 10 OK. */
const WORST_ACCEPTED_GRADE = 7;

/** A Go tool on PATH, in GOBIN/GOPATH/bin or ~/go/bin, or `$<NAME>` (e.g. `$KUBE_SCORE`). */
export function findTool(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env[name.toUpperCase().replace(/-/g, '_')];
  if (override) return existsSync(override) ? override : undefined;
  const dirs = [...(env.PATH ?? '').split(delimiter), env.GOBIN, env.GOPATH && join(env.GOPATH, 'bin'), join(homedir(), 'go', 'bin')];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/** Rendered Kubernetes manifests under `dir`: YAML files other than a chart's values.yaml. */
export function manifestFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e) && !/^values\.ya?ml$/.test(e)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

interface KubeScoreObject {
  object_name: string;
  type_meta: { kind: string };
  object_meta: { name: string; namespace?: string };
  checks: { check: { id: string }; grade: number; skipped: boolean; comments: { path?: string; summary: string }[] | null }[];
}

/** kube-score over one set of files; one line per finding (`<where> <Kind> <ns>/<name>: <check>: <summary>`). */
export function kubeScore(bin: string, files: readonly string[], where: string): string[] {
  if (files.length === 0) return [];
  const r = spawnSync(bin, ['score', '--output-format', 'json', ...files], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  let objects: KubeScoreObject[];
  try {
    objects = (JSON.parse(r.stdout) as KubeScoreObject[] | null) ?? [];
  } catch {
    throw new UserError(`kube-score failed on ${where} (exit ${r.status}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
  }
  const findings: string[] = [];
  for (const o of objects) {
    const ns = o.object_meta.namespace ? `${o.object_meta.namespace}/` : '';
    for (const c of o.checks) {
      if (c.skipped || c.grade >= WORST_ACCEPTED_GRADE) continue;
      const summaries = [...new Set((c.comments ?? []).map((x) => `${x.path ? `(${x.path}) ` : ''}${x.summary}`))];
      findings.push(`kube-score: ${where} ${o.type_meta.kind} ${ns}${o.object_meta.name}: ${c.check.id}: ${summaries.join('; ') || 'failed'}`);
    }
  }
  return findings.sort();
}

/** gitleaks over a directory (no git history); one line per finding (`gitleaks: <file>:<line>: <rule>`). */
export function gitleaks(bin: string, source: string, config?: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'zt-gitleaks-'));
  try {
    const report = join(dir, 'report.json');
    const args = ['detect', '--no-git', '--no-banner', '--redact', '--source', source, '--report-format', 'json', '--report-path', report, '--exit-code', '0'];
    if (config) args.push('--config', config);
    const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    if (r.status !== 0 || !existsSync(report))
      throw new UserError(`gitleaks failed on ${source} (exit ${r.status}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
    const leaks = JSON.parse(readFileSync(report, 'utf8')) as { RuleID: string; File: string; StartLine: number }[];
    return leaks.map((l) => `gitleaks: ${relative(source, resolve(source, l.File)) || l.File}:${l.StartLine}: ${l.RuleID}`).sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('guard')
      .description('kube-score over the rendered manifests and gitleaks over the repository: zero findings, or exit 1')
      .option('--dist <dir>', 'rendered tree', join(REPO_ROOT, 'dist'))
      .option('--repo <dir>', 'tree gitleaks scans (dist/ included)', REPO_ROOT)
      .option('--no-gitleaks', 'kube-score only')
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const opts = program.opts<{ dist: string; repo: string; gitleaks: boolean }>();
    const dist = resolve(opts.dist);
    if (!existsSync(dist)) throw new UserError(`${dist} does not exist (run pnpm synth)`);

    const ks = findTool('kube-score');
    if (!ks) throw new UserError(`kube-score not found: ${KUBE_SCORE_INSTALL}`);
    // One run per top-level directory (an environment, argocd/), or the tree itself when it has only files.
    const roots = readdirSync(dist)
      .filter((e) => statSync(join(dist, e)).isDirectory())
      .sort();
    const groups = roots.length ? roots.map((r) => ({ where: r, files: manifestFiles(join(dist, r)) })) : [{ where: '.', files: manifestFiles(dist) }];
    const findings: string[] = [];
    let manifests = 0;
    for (const g of groups) {
      manifests += g.files.length;
      findings.push(...kubeScore(ks, g.files, g.where));
    }
    let scanned = '';
    if (opts.gitleaks) {
      const gl = findTool('gitleaks');
      if (!gl) throw new UserError(`gitleaks not found: ${GITLEAKS_INSTALL}`);
      const repo = resolve(opts.repo);
      const config = existsSync(join(repo, '.gitleaks.toml')) ? join(repo, '.gitleaks.toml') : undefined;
      findings.push(...gitleaks(gl, repo, config));
      // dist/ on its own too, when it lies outside the scanned tree.
      if (relative(repo, dist).startsWith('..')) findings.push(...gitleaks(gl, dist, config));
      scanned = ', gitleaks over the repository and dist/';
    }
    io.out(`guard: ${findings.length} finding${findings.length === 1 ? '' : 's'} (kube-score over ${manifests} manifests in ${groups.length} trees${scanned})`);
    for (const f of findings) io.out(f);
    return findings.length ? 1 : 0;
  });
}

runIfMain(module, main);
