/** argocd/config.ts validation: one line naming the file, the field and the problem. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadArgoConfig, revisionFor, validateArgoConfig } from '../../argocd/settings';
import { main as synth } from '../../lib/cli/synth';

const ENVS = ['dev', 'prod', 'staging'];
const ok = { repoURL: 'https://github.com/acme/platform.git', targetRevision: 'main' };
const error = (input: unknown, envs = ENVS) => {
  try {
    validateArgoConfig(input, envs);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
};

describe('Argo CD configuration', () => {
  it('fills defaults', () => {
    const c = validateArgoConfig(ok, ENVS);
    expect(c).toEqual({ ...ok, environments: {}, namespace: 'argocd', clusterLabel: 'zt-eks-gitops/environment' });
  });

  it('accepts https, ssh and scp-like URLs', () => {
    for (const repoURL of ['https://github.com/acme/platform.git', 'ssh://git@github.com/acme/platform.git', 'git@github.com:acme/platform.git']) {
      expect(error({ ...ok, repoURL })).toBeUndefined();
    }
  });

  it.each([
    [{ ...ok, repoURL: 'github.com/acme/platform' }, 'argocd/config.ts: repoURL: "github.com/acme/platform" is not a git repository URL'],
    [{ ...ok, repoURL: 'https://user:token@github.com/acme/platform.git' }, 'carries credentials'],
    [{ ...ok, repoURL: 'https://github.com/acme/*' }, 'contains a glob'],
    [{ ...ok, targetRevision: 'HEAD' }, 'argocd/config.ts: targetRevision: "HEAD" is not a git revision'],
    [{ ...ok, targetRevision: 'main..dev' }, 'is not a git revision'],
    [
      { ...ok, environments: { prod: { targetRevision: 'release 1' } } },
      'argocd/config.ts: environments.prod.targetRevision: "release 1" is not a git revision',
    ],
    [{ ...ok, environments: { qa: { targetRevision: 'qa' } } }, 'argocd/config.ts: environments["qa"]: no environment named "qa" (known: dev, prod, staging)'],
    [{ ...ok, namespace: 'Argo' }, 'argocd/config.ts: namespace: "Argo" is not a namespace name'],
    [{ ...ok, clusterLabel: 'env label' }, 'argocd/config.ts: clusterLabel: "env label" is not a label key'],
    [{ ...ok, revision: 'main' }, 'argocd/config.ts: unknown field "revision"'],
    [{ targetRevision: 'main' }, 'argocd/config.ts: repoURL: is required'],
  ])('rejects %j', (input, message) => {
    const m = error(input);
    expect(m).toBeDefined();
    expect(m).toContain(message);
    expect(m).not.toContain('\n');
  });

  it('reserves the environment name "argocd" for dist/argocd', () => {
    expect(error(ok, ['dev', 'argocd'])).toBe('environment "argocd": name: is reserved for dist/argocd/ (the Argo CD objects)');
  });

  it('resolves per-environment revisions', () => {
    const c = validateArgoConfig({ ...ok, environments: { prod: { targetRevision: 'release-2026.11' } } }, ENVS);
    expect(revisionFor(c, 'prod')).toBe('release-2026.11');
    expect(revisionFor(c, 'dev')).toBe('main');
  });

  it('loads the committed argocd/config.ts', async () => {
    const c = await loadArgoConfig(ENVS);
    expect(c.repoURL).toMatch(/^https:\/\//);
    expect(c.targetRevision).toBe('main');
  });
});

describe('pnpm synth --argocd-config', () => {
  const run = async (config: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'argocd-config-'));
    const file = join(dir, 'config.ts');
    writeFileSync(file, config);
    const out: string[] = [];
    const err: string[] = [];
    const code = await synth(['--out', join(dir, 'dist'), '--argocd-config', file], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { dir, file, code, out, err };
  };

  it('fails on a bad config with one line naming the file and field, writing nothing', async () => {
    const r = await run(`export default { repoURL: 'nope', targetRevision: 'main' };\n`);
    try {
      expect(r.code).toBe(1);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^error: .*config\.ts: repoURL: "nope" is not a git repository URL/);
      expect(existsSync(join(r.dir, 'dist'))).toBe(false);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  it('refuses a config whose namespace is not where the argo-cd component installs Argo CD, writing nothing', async () => {
    const r = await run(`export default { repoURL: 'https://git.example.com/platform/zt.git', targetRevision: 'main', namespace: 'gitops' };\n`);
    try {
      expect(r.code).toBe(1);
      expect(r.err).toEqual([
        'error: Argo CD config: namespace: "gitops" is not where the argo-cd component installs Argo CD in environment dev ("argocd", from argocd/config.ts); render with one config',
      ]);
      expect(existsSync(join(r.dir, 'dist'))).toBe(false);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  it('renders dist/argocd from the given config', async () => {
    const r = await run(
      `export default { repoURL: 'git@git.example.com:platform/zt.git', targetRevision: 'v1.2.3', environments: { prod: { targetRevision: 'release' } } };\n`,
    );
    try {
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      // 30 objects (bootstrap project, root, three projects and one ApplicationSet per environment, 7 with lattice's two units) and one directory of child Applications per environment.
      expect(readdirSync(join(r.dir, 'dist', 'argocd')).length).toBe(30 + 7);
      const prod = readFileSync(join(r.dir, 'dist', 'argocd', 'applicationset.argocd.prod.yaml'), 'utf8');
      expect(prod).toContain('repoURL: git@git.example.com:platform/zt.git');
      expect(prod).toContain('targetRevision: release');
      const child = readFileSync(join(r.dir, 'dist', 'argocd', 'prod', 'application.argocd.prod-eu-whoami.yaml'), 'utf8');
      expect(child).toContain('repoURL: git@git.example.com:platform/zt.git');
      expect(child).toContain('targetRevision: release');
      expect(readFileSync(join(r.dir, 'dist', 'argocd', 'application.argocd.root.yaml'), 'utf8')).toContain('targetRevision: v1.2.3');
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
});
