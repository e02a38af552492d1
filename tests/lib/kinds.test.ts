import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_APIS, groupOf, isClusterScoped, servedKinds, withNamespace } from '../../lib/kinds';
import { KUBECONFORM_SCHEMAS, skipWithoutShared } from '../support';

describe('the built-in kinds table', () => {
  it('knows the scope of built-in kinds and of the custom kinds it is given', () => {
    expect(isClusterScoped({ apiVersion: 'v1', kind: 'Namespace' })).toBe(true);
    expect(isClusterScoped({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' })).toBe(true);
    expect(isClusterScoped({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' })).toBe(false);
    expect(isClusterScoped({ apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR' })).toBe(true);
    expect(isClusterScoped({ apiVersion: 'example.com/v1', kind: 'Widget' })).toBe(false);
    expect(isClusterScoped({ apiVersion: 'example.com/v1', kind: 'Widget' }, new Set(['example.com/Widget']))).toBe(true);
  });

  it('sets the namespace of namespaced objects only', () => {
    const role = withNamespace(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' } as { name: string; namespace?: string } },
      'apps',
      new Set(),
    );
    const clusterRole = withNamespace(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } as { name: string; namespace?: string } },
      'apps',
      new Set(),
    );
    expect(role.metadata.namespace).toBe('apps');
    expect(clusterRole.metadata.namespace).toBeUndefined();
  });

  it('lists what a group serves, and nothing for a group Kubernetes does not own', () => {
    expect(servedKinds('apps')).toEqual(['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet']);
    expect(servedKinds('networking.k8s.io')).toEqual(['IPAddress', 'Ingress', 'IngressClass', 'NetworkPolicy', 'ServiceCIDR']);
    expect(servedKinds('cert-manager.io')).toBeUndefined();
  });

  it('every cluster-scoped kind is one of its entry kinds', () => {
    for (const api of BUILT_IN_APIS) for (const k of api.clusterScoped ?? []) expect(api.kinds, `${api.apiVersion} ${k}`).toContain(k);
  });

  // kubeconform's schemas are generated from each release's OpenAPI: a kind the table says a
  // version serves has its schema there, so a typo or a wrong `since`/`until` fails here.
  it.skipIf(skipWithoutShared).each([
    ['1.28.0', 28],
    ['1.36.0', 36],
  ])('agrees with the Kubernetes %s schemas', (version, minor) => {
    const dir = join(KUBECONFORM_SCHEMAS, `v${version}-standalone-strict`);
    const served = BUILT_IN_APIS.filter((a) => (a.since ?? 0) <= minor && minor < (a.until ?? Number.POSITIVE_INFINITY));
    expect(served.length).toBeGreaterThan(20);
    for (const api of served) {
      const group = groupOf(api.apiVersion).split('.')[0];
      const v = api.apiVersion.split('/').at(-1)!;
      for (const kind of api.kinds) {
        const file = `${kind.toLowerCase()}${group ? `-${group}` : ''}-${v}.json`;
        expect(existsSync(join(dir, file)), `${api.apiVersion} ${kind}: ${file}`).toBe(true);
      }
    }
  });
});
