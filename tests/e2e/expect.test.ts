import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childApplications, deletedObjects, environmentDeletes, expectedSecrets, keptOnDelete, kubectlType, leafComponent } from '../../e2e/expect';
import { type Manifest, readManifests, readUnit } from '../../e2e/plan';

const DIST = resolve(__dirname, '../../dist');
const m = (object: Record<string, unknown>, file = 'x.yaml'): Manifest => ({ file, object: object as unknown as Manifest['object'] });

describe('expectedSecrets', () => {
  it("names each ExternalSecret's target (its own name by default) and its keys, sorted once", () => {
    const es = (name: string, spec: Record<string, unknown>) =>
      m({ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: 'ns' }, spec });
    expect(
      expectedSecrets([
        es('a', { target: { name: 'creds' }, data: [{ secretKey: 'B' }, { secretKey: 'A' }, { secretKey: 'B' }] }),
        es('b', { data: [] }),
        m({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c', namespace: 'ns' } }),
      ]),
    ).toEqual([
      { namespace: 'ns', name: 'creds', keys: ['A', 'B'] },
      { namespace: 'ns', name: 'b', keys: [] },
    ]);
  });
  it("dev's: the Twingate operator's credentials", () => {
    const dev = readUnit(DIST, 'dev').components.flatMap((c) => c.manifests);
    expect(expectedSecrets(dev)).toEqual([
      { namespace: 'twingate', name: 'twingate-operator-credentials', keys: ['TWINGATE_API_KEY', 'TWINGATE_REMOTE_NETWORK_ID'] },
    ]);
  });
});

describe('what a deletion removes', () => {
  it('kubectl types are kind.version.group, bare for the core group', () => {
    expect(kubectlType({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe('deployment.v1.apps');
    expect(kubectlType({ apiVersion: 'v1', kind: 'ServiceAccount' })).toBe('serviceaccount');
  });
  it('skips objects annotated Delete=false, among other sync options too', () => {
    const kept = m({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'k', namespace: 'n', annotations: { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true, Delete=false' } },
    });
    const gone = m({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g', namespace: 'n' } });
    expect(keptOnDelete(kept.object)).toBe(true);
    expect(deletedObjects([kept, gone, m({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'z' } })])).toEqual(['configmap n g', 'namespace - z']);
  });
  it('the leaf is the component of the highest wave', () => {
    expect(
      leafComponent([
        { name: 'b', wave: 5, manifests: [] },
        { name: 'a', wave: 5, manifests: [] },
        { name: 'z', wave: 1, manifests: [] },
      ]),
    ).toBe('b');
    expect(() => leafComponent([])).toThrow('no components');
  });
  it("deleting dev removes every child Application and its objects except Argo CD's own and its namespace's", () => {
    const children = childApplications(readManifests(DIST, join(DIST, 'argocd/dev')));
    expect(children.filter((c) => c.kept).map((c) => [c.component, c.project])).toEqual([
      ['argo-cd', 'dev-platform'],
      ['namespaces', 'dev-platform'],
    ]);
    const unit = readUnit(DIST, 'dev');
    const lines = environmentDeletes(children, unit.components, 'argocd');
    expect(lines).toContain('application.v1alpha1.argoproj.io argocd dev-eu-whoami');
    expect(lines).not.toContain('application.v1alpha1.argoproj.io argocd dev-eu-argo-cd');
    expect(lines.some((l) => l.startsWith('namespace '))).toBe(false);
    expect(lines.some((l) => l.includes('applications.argoproj.io'))).toBe(false);
    expect(lines).toContain('deployment.v1.apps whoami whoami');
  });
});
