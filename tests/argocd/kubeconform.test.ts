/**
 * kubeconform -strict over every Argo CD object: dist/argocd (child Applications included), and
 * the parent Applications the ApplicationSets generate, through `pnpm validate`'s own entry point.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArgoConfig } from '../../argocd/settings';
import { main as validate } from '../../lib/cli/validate';
import { toYaml } from '../../lib/output';
import { KUBECONFORM_SCHEMAS, skipWithoutKubeconform } from '../support';
import { clusters, delivered, loadEnvs, synthTree } from '../support/argocd';
import { catalogue, fixtureConnector, fixtureOperator, fixtureResources } from '../support/argocd-components';

const SCHEMAS = KUBECONFORM_SCHEMAS;
let dir: string;

async function run(root: string) {
  const lines: string[] = [];
  const code = await validate([root, '--schemas', SCHEMAS], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, output: lines.join('\n') };
}

beforeAll(async () => {
  const envs = await loadEnvs();
  const cfg = await loadArgoConfig(envs.map((e) => e.name));
  const tree = synthTree(envs, { argocd: cfg, componentsFor: catalogue([fixtureOperator, fixtureConnector, fixtureResources]) });
  dir = mkdtempSync(join(tmpdir(), 'argocd-kubeconform-'));
  mkdirSync(join(dir, 'argocd'));
  mkdirSync(join(dir, 'generated'));
  // dist/argocd with the child Applications of each environment (dist/argocd/<env>/), and the generated parents.
  for (const [p, c] of tree) if (p.startsWith('dist/argocd/')) writeFileSync(join(dir, 'argocd', p.slice('dist/argocd/'.length).replace('/', '--')), c);
  for (const a of delivered(tree, clusters(envs, cfg)).parents) writeFileSync(join(dir, 'generated', `${a.metadata.name}.yaml`), toYaml(a));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skipWithoutKubeconform)('Argo CD objects under kubeconform -strict', () => {
  it('dist/argocd and every generated Application are valid', async () => {
    const { code, output } = await run(dir);
    expect(output).toMatch(/Kubernetes 1\.28\.0: ok \((\d+) valid, 0 invalid, 0 errors, 0 skipped\)/);
    const valid = Number(/1\.28\.0: ok \((\d+) valid/.exec(output)![1]);
    // 26 objects in dist/argocd (bootstrap project, root, three projects and one ApplicationSet per environment, 6 environments
    // with Twingate: lattice's two units among them); one child Application per component (dev, staging, prod and the two
    // lattice units x 8: argo-cd, admission-policies and 3 fixtures included, plus network-probes in staging; urlshort's 13:
    // the same 7 plus spire-crds, spire and 3 more apps; the lattice units' kyverno, 2); one generated parent per environment.
    expect(valid).toBe(26 + (5 * 8 + 1) + 13 + 2 + 6);
    expect(code).toBe(0);
  });

  it('an Application with a misspelt field is rejected (the check can fail)', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'argocd-kubeconform-bad-'));
    try {
      writeFileSync(
        join(bad, 'app.yaml'),
        toYaml({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: 'x', namespace: 'argocd' },
          spec: { project: 'dev', destination: { name: 'dev-eu' }, sources: [{ repoURL: 'r', path: 'p', targetRevison: 'main' }] },
        }),
      );
      const { code, output } = await run(bad);
      expect(code).toBe(1);
      expect(output).toMatch(/targetRevison/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
