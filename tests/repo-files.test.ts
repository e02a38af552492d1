/**
 * The files a repository built from this template relies on beyond the code: the GitHub
 * Actions workflow mirrors .ci/run, Renovate's custom managers match the files they are meant
 * to update, CODEOWNERS names real paths, LICENSE is package.json's license, npm reads no
 * pnpm-only setting, and .ci/run's go_tool installs only when the module version differs.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GITLEAKS_INSTALL, KUBE_SCORE_INSTALL } from '../lib/cli/guard';
import { KUBECONFORM_INSTALL } from '../lib/cli/validate';
import { REPO, tempDir } from './support';

const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  license: string;
  packageManager: string;
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The pnpm subcommands a shell script runs, in order (`pnpm --silent validate --schemas x` -> `validate`). */
function pnpmCommands(script: string): string[] {
  return [...script.matchAll(/^[ \t]*pnpm[ \t]+((?:--?[\w-]+[ \t]+)*)([a-z][\w:-]*)/gm)].map((m) => m[2]!);
}

describe('.github/workflows/ci.yml', () => {
  const workflow = parse(read('.github/workflows/ci.yml')) as {
    on: Record<string, unknown>;
    env: Record<string, string>;
    jobs: Record<
      string,
      { 'runs-on': string; steps: { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }[] }
    >;
  };
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
  const runs = steps.map((s) => s.run ?? '').join('\n');
  const ciRun = read('.ci/run');

  it('is a workflow run on pushes and pull requests', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(Object.keys(workflow.jobs)).toHaveLength(1);
    expect(steps.length).toBeGreaterThan(5);
  });

  it('runs the same pnpm steps as .ci/run but e2e, in the same order (install, charts, lint, typecheck, synth, validate, guard, test)', () => {
    // .ci/run adds the e2e tier (docs/e2e.md): it needs the upstream CRDs of ../shared, which a
    // GitHub runner does not have until dist/ delivers every CRD it uses.
    // Tier 1 always, then tier 2 when its binaries are cached.
    expect(pnpmCommands(ciRun)).toEqual(['install', 'charts', 'lint', 'typecheck', 'synth', 'validate', 'guard', 'e2e', 'e2e', 'test']);
    const local = pnpmCommands(ciRun).filter((c) => c !== 'e2e');
    // The workflow adds the release check (a template keeps its placeholders, a real repository may
    // not) and, on pull requests, the access diff as the job summary.
    expect(pnpmCommands(runs).filter((c) => c !== 'release-check' && c !== 'diff')).toEqual(local);
    expect(pnpmCommands(runs)).toEqual(expect.arrayContaining(['release-check', 'diff']));
    const diffStep = steps.find((s) => s.run?.includes('pnpm --silent diff'))!;
    expect(diffStep.run).toContain('--format markdown');
    expect(diffStep.run).toContain('$GITHUB_STEP_SUMMARY');
    expect(runs).toContain('pnpm install --frozen-lockfile');
  });

  it('fails when synth changes dist/, as .ci/run does', () => {
    const check = 'git status --porcelain -- dist';
    expect(ciRun).toContain(check);
    const synthStep = steps.find((s) => s.run?.includes('pnpm synth'))!;
    expect(synthStep.run).toContain(check);
    expect(synthStep.run).toMatch(/exit 1/);
  });

  it("validates against kubeconform's online default schemas (no --schemas)", () => {
    const validate = steps.find((s) => /pnpm\s.*validate/.test(s.run ?? ''))!;
    expect(validate.run).not.toMatch(/--schemas|KUBECONFORM_SCHEMAS/);
    expect(validate.env?.KUBECONFORM_SCHEMAS).toBeUndefined();
  });

  it('sets up Node 20 with the pnpm cache, pnpm at the packageManager version, Go, and kubeconform v0.7.0 cached', () => {
    const uses = (action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`));
    expect(uses('actions/checkout')).toBeDefined();
    const node = uses('actions/setup-node')!;
    expect(node.with).toMatchObject({ 'node-version': 20, cache: 'pnpm' });
    expect(pkg.engines.node).toMatch(/^>=20\./);
    // pnpm/action-setup reads packageManager when no version is given; it must precede setup-node's pnpm cache.
    const pnpmSetup = uses('pnpm/action-setup')!;
    expect(pnpmSetup.with?.version).toBeUndefined();
    expect(steps.indexOf(pnpmSetup)).toBeLessThan(steps.indexOf(node));
    expect(pkg.packageManager).toMatch(/^pnpm@10\./);
    expect(uses('actions/setup-go')).toBeDefined();
    const version = /@(v[\d.]+)$/.exec(KUBECONFORM_INSTALL)![1];
    expect(workflow.env.KUBECONFORM_VERSION).toBe(version);
    expect(ciRun).toContain(`go_tool kubeconform github.com/yannh/kubeconform ${version}`);
    const cache = uses('actions/cache')!;
    expect(String(cache.with?.key)).toContain('env.KUBECONFORM_VERSION');
    expect(runs).toContain('go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"');
  });

  it('installs kube-score and gitleaks at the versions pnpm guard names, as .ci/run does, and caches them', () => {
    const ks = /@(v[\d.]+)$/.exec(KUBE_SCORE_INSTALL)![1]!;
    const gl = /@(v[\d.]+)$/.exec(GITLEAKS_INSTALL)![1]!;
    expect(workflow.env.KUBE_SCORE_VERSION).toBe(ks);
    expect(workflow.env.GITLEAKS_VERSION).toBe(gl);
    expect(ciRun).toContain(`go_tool kube-score github.com/zegl/kube-score ${ks}`);
    expect(ciRun).toContain(`go_tool gitleaks github.com/zricethezav/gitleaks/v8 ${gl} github.com/zricethezav/gitleaks/v8`);
    expect(runs).toContain('go install "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"');
    expect(runs).toContain('go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION"');
    const cache = steps.find((s) => s.uses?.startsWith('actions/cache@') && String(s.with?.key).includes('KUBE_SCORE_VERSION'));
    expect(String(cache?.with?.key)).toContain('env.GITLEAKS_VERSION');
  });
});

describe('.ci/run go_tool', () => {
  // The function as .ci/run defines it, run against a stand-in `go` and kubeconform.
  const fn = /^go_tool\(\) \{\n[\s\S]*?\n\}\n/m.exec(read('.ci/run'))![0];

  function run(installed: string | undefined) {
    const bin = tempDir('zt-gotool-');
    const log = join(bin, 'go.log');
    // `go version -m <file>` prints the stand-in binary's text; `go install <pkg>@<v>` logs and "builds" it.
    writeFileSync(
      join(bin, 'go'),
      `#!/usr/bin/env bash
case "$1" in
  version) [ "$2" = -m ] && cat "$3" ;;
  install) echo "install $2" >> '${log}'; printf '%s\\tpath\\tgithub.com/yannh/kubeconform/cmd/kubeconform\\n\\tmod\\tgithub.com/yannh/kubeconform\\t%s\\th1:x=\\n' "$(basename "$2")" "\${2##*@}" > '${bin}/kubeconform'; chmod +x '${bin}/kubeconform' ;;
esac
`,
    );
    chmodSync(join(bin, 'go'), 0o755);
    if (installed) {
      writeFileSync(
        join(bin, 'kubeconform'),
        `kubeconform: go1.26\n\tpath\tgithub.com/yannh/kubeconform/cmd/kubeconform\n\tmod\tgithub.com/yannh/kubeconform\t${installed}\th1:x=\n`,
        { mode: 0o755 },
      );
    }
    // No rc files (bash reads ~/.bashrc when it thinks it runs remotely) and a PATH of stand-ins only.
    const result = spawnSync('bash', ['--norc', '--noprofile', '-c', `set -euo pipefail\n${fn}\ngo_tool kubeconform github.com/yannh/kubeconform v0.7.0`], {
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ...result, installs: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
  }

  it('does not reinstall a go-installed binary of the right module version', () => {
    const r = run('v0.7.0');
    expect(r.status, r.stderr).toBe(0);
    expect(r.installs).toEqual([]);
  });

  it('installs when the version differs or the binary is missing, and checks the result', () => {
    for (const installed of ['v0.6.7', undefined]) {
      const r = run(installed);
      expect(r.status, r.stderr).toBe(0);
      expect(r.installs, r.stdout + r.stderr).toEqual(['install github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0']);
      expect(r.stdout).toMatch(/kubeconform: github\.com\/yannh\/kubeconform v0\.7\.0 installed/);
    }
  });
});

/** Renovate's `/regex/` file patterns as JavaScript regular expressions. */
const patternOf = (p: string) => new RegExp(/^\/(.*)\/$/.exec(p)![1]!);
/** Renovate's named-group regexes as JavaScript ones (the syntax used here is common to both). */
const matcherOf = (s: string) => new RegExp(s, 'g');
/** A Renovate glob in matchPackageNames (`*` within a segment, `**` across). */
const globOf = (g: string) =>
  new RegExp(
    `^${g
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*/g, '\uE000')
      .replace(/\*/g, '[^/]*')
      .replace(/\uE000/g, '.*')}$`,
  );

describe('renovate.json', () => {
  const renovate = JSON.parse(read('renovate.json')) as {
    packageRules: { groupName?: string; matchPackageNames?: string[] }[];
    customManagers: {
      customType: string;
      managerFilePatterns: string[];
      matchStrings: string[];
      datasourceTemplate: string;
      packageNameTemplate?: string;
      depTypeTemplate: string;
    }[];
  };
  const managers = (depType: string) => renovate.customManagers.filter((m) => m.depTypeTemplate === depType);
  const extract = (depType: string, path: string, text: string) =>
    managers(depType)
      .filter((m) => m.managerFilePatterns.some((p) => patternOf(p).test(path)))
      .flatMap((m) =>
        m.matchStrings.flatMap((s) =>
          [...text.matchAll(matcherOf(s))].map(
            (x): Record<string, string | undefined> => ({
              ...x.groups,
              datasource: m.datasourceTemplate,
              packageName: m.packageNameTemplate?.replace(/\{\{\{(\w+)\}\}\}/g, (_, k: string) => x.groups![k]!),
            }),
          ),
        ),
      );

  it('is valid JSON with regex custom managers', () => {
    expect(renovate.customManagers.length).toBeGreaterThanOrEqual(3);
    for (const m of renovate.customManagers) expect(m.customType).toBe('regex');
  });

  it('groups cdk8s, pulumi and the TypeScript tooling, covering the packages that exist', () => {
    const group = (name: string) => renovate.packageRules.find((r) => r.groupName === name)!.matchPackageNames!.map(globOf);
    const inGroup = (name: string, dep: string) => group(name).some((re) => re.test(dep));
    const root = { ...pkg.dependencies, ...pkg.devDependencies };
    for (const dep of ['cdk8s', 'cdk8s-cli', 'cdk8s-plus-28', 'constructs']) expect(inGroup('cdk8s', dep), dep).toBe(true);
    expect(Object.keys(root).filter((d) => d.startsWith('cdk8s') && !inGroup('cdk8s', d))).toEqual([]);
    const infra = JSON.parse(read('infra/package.json')) as { dependencies: Record<string, string> };
    for (const dep of Object.keys(infra.dependencies)) expect(inGroup('pulumi', dep), dep).toBe(true);
    for (const dep of ['typescript', 'tsx', 'vitest', '@types/node']) {
      expect(root[dep], dep).toBeDefined();
      expect(inGroup('typescript tooling', dep), dep).toBe(true);
    }
    expect(inGroup('typescript tooling', 'cdk8s')).toBe(false);
  });

  it('finds every container image in the environment files', () => {
    const files = readdirSync(join(REPO, 'environments')).filter((f) => f.endsWith('.ts'));
    let found = 0;
    for (const f of files) {
      const text = read(`environments/${f}`);
      const deps = extract('environment-image', `environments/${f}`, text);
      expect(deps.length, f).toBe([...text.matchAll(/\bimage:\s*['"]/g)].length);
      found += deps.length;
    }
    expect(found).toBeGreaterThan(0);
    expect(extract('environment-image', 'environments/_shared.ts', read('environments/_shared.ts'))).toContainEqual(
      expect.objectContaining({ depName: 'traefik/whoami', currentValue: 'v1.10.3', datasource: 'docker' }),
    );
    const samples = ["image: 'ghcr.io/acme/api:1.2.3'", `image: "registry.example:5000/team/app:2024.01@sha256:${'a'.repeat(64)}"`];
    expect(extract('environment-image', 'environments/prod.ts', samples.join('\n'))).toEqual([
      expect.objectContaining({ depName: 'ghcr.io/acme/api', currentValue: '1.2.3' }),
      expect.objectContaining({ depName: 'registry.example:5000/team/app', currentValue: '2024.01', currentDigest: `sha256:${'a'.repeat(64)}` }),
    ]);
    expect(extract('environment-image', 'dist/dev/whoami/deployment.whoami.whoami.yaml', samples[0]!)).toEqual([]);
  });

  it('finds every pinned chart in charts.lock.json (the real one when present, else one in its format)', () => {
    // The format lib/charts writes: 2-space JSON, keys chart, version, repository, digest.
    const sample = `${JSON.stringify(
      {
        charts: [
          { chart: 'connector', version: '0.1.35', repository: 'https://twingate.github.io/helm-charts', digest: `sha256:${'1'.repeat(64)}` },
          { chart: 'twingate-operator', version: '2.0.0', repository: 'oci://ghcr.io/twingate/helmcharts', digest: `sha256:${'2'.repeat(64)}` },
        ],
      },
      null,
      2,
    )}\n`;
    expect(extract('helm-chart', 'charts.lock.json', sample)).toEqual([
      expect.objectContaining({ depName: 'connector', currentValue: '0.1.35', registryUrl: 'https://twingate.github.io/helm-charts', datasource: 'helm' }),
      expect.objectContaining({
        depName: 'twingate-operator',
        currentValue: '2.0.0',
        datasource: 'docker',
        packageName: 'ghcr.io/twingate/helmcharts/twingate-operator',
      }),
    ]);
    if (existsSync(join(REPO, 'charts.lock.json'))) {
      const text = read('charts.lock.json');
      const lock = JSON.parse(text) as { charts: { chart: string; version: string }[] };
      const deps = extract('helm-chart', 'charts.lock.json', text);
      expect(deps.map((d) => `${d.depName}@${d.currentValue}`).sort()).toEqual(lock.charts.map((c) => `${c.chart}@${c.version}`).sort());
    }
  });
});

describe('CODEOWNERS, LICENSE, npm and pnpm settings', () => {
  it('CODEOWNERS owns environments/ and dist/argocd/, paths that exist', () => {
    const rules = read('.github/CODEOWNERS')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.trim().split(/\s+/));
    expect(rules.map((r) => r[0])).toEqual(['/environments/', '/dist/argocd/']);
    for (const [path, ...owners] of rules) {
      expect(existsSync(join(REPO, path!)), path).toBe(true);
      expect(owners.length).toBeGreaterThan(0);
      for (const o of owners) expect(o).toMatch(/^@[\w-]+(\/[\w-]+)?$/);
    }
  });

  it('LICENSE is the full Apache-2.0 text, the license package.json names', () => {
    expect(pkg.license).toBe('Apache-2.0');
    // SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt
    expect(
      createHash('sha256')
        .update(readFileSync(join(REPO, 'LICENSE')))
        .digest('hex'),
    ).toBe('cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30');
  });

  it('npm warns about no project config (pnpm-only settings live in pnpm-workspace.yaml)', () => {
    // Without the npm_config_* variables pnpm sets for the scripts it runs (npm warns about those too).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const r = spawnSync('npm', ['config', 'get', 'fund'], { cwd: REPO, encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|user|env) config/);
    expect(parse(read('pnpm-workspace.yaml'))).toMatchObject({ managePackageManagerVersions: false });
  });

  it.skipIf(spawnSync('pnpm', ['--version']).status !== 0)("pnpm honours managePackageManagerVersions: it never switches to packageManager's version", () => {
    const running = spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).stdout.trim();
    const dir = tempDir('zt-pnpm-');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', private: true, packageManager: 'pnpm@10.0.0' }));
    writeFileSync(join(dir, 'pnpm-workspace.yaml'), `managePackageManagerVersions: ${parse(read('pnpm-workspace.yaml')).managePackageManagerVersions}\n`);
    const r = spawnSync('pnpm', ['--version'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(running);
  });
});
