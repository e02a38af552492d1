import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KIND_ORDER, type Manifest, orderManifests, planUnit, readCrdDirectory, readUnit, selectUnits, unitNames } from '../../e2e/plan';
import type { ApiObject } from '../../lib/output';
import { REPO, tempDir } from '../support';

const obj = (kind: string, name: string, extra: Partial<ApiObject> = {}): ApiObject => ({
  apiVersion: kind === 'CustomResourceDefinition' ? 'apiextensions.k8s.io/v1' : kind === 'Deployment' ? 'apps/v1' : 'v1',
  kind,
  metadata: { name },
  ...extra,
});
const crd = (group: string, kind: string): ApiObject =>
  obj('CustomResourceDefinition', `${kind.toLowerCase()}s.${group}`, { spec: { group, names: { kind }, scope: 'Namespaced' } });
const m = (file: string, object: ApiObject): Manifest => ({ file, object });
const files = (ms: readonly Manifest[]) => ms.map((x) => x.file);

describe('orderManifests', () => {
  it('orders by sync-wave annotation, then Helm kind order, then file name', () => {
    const late = obj('ConfigMap', 'late', { metadata: { name: 'late', annotations: { 'argocd.argoproj.io/sync-wave': '5' } } });
    const early = obj('Deployment', 'early', { metadata: { name: 'early', annotations: { 'argocd.argoproj.io/sync-wave': '-1' } } });
    const ordered = orderManifests([
      m('c/unknown.yaml', obj('TwingateResource', 'x')),
      m('c/late.yaml', late),
      m('c/deploy.yaml', obj('Deployment', 'd')),
      m('c/sa-b.yaml', obj('ServiceAccount', 'b')),
      m('c/sa-a.yaml', obj('ServiceAccount', 'a')),
      m('c/early.yaml', early),
      m('c/svc.yaml', obj('Service', 's')),
    ]);
    expect(files(ordered)).toEqual(['c/early.yaml', 'c/sa-a.yaml', 'c/sa-b.yaml', 'c/svc.yaml', 'c/deploy.yaml', 'c/unknown.yaml', 'c/late.yaml']);
  });

  it('puts a ValidatingAdmissionPolicy before its binding and RBAC before workloads', () => {
    const at = (k: string) => KIND_ORDER.indexOf(k);
    expect(at('ValidatingAdmissionPolicy')).toBeLessThan(at('ValidatingAdmissionPolicyBinding'));
    expect(at('ClusterRole')).toBeLessThan(at('Deployment'));
    expect(at('ServiceAccount')).toBeLessThan(at('Deployment'));
  });
});

describe('planUnit', () => {
  const library = [m('cert-manager/certificates.yaml', crd('cert-manager.io', 'Certificate')), m('other/foos.yaml', crd('example.com', 'Foo'))];

  it('hoists Namespaces and CRDs out of their components and orders components by wave, then name', () => {
    const plan = planUnit({
      name: 'dev',
      components: [
        { name: 'whoami', wave: 0, manifests: [m('dev/whoami/deployment.yaml', obj('Deployment', 'whoami'))] },
        {
          name: 'operator',
          wave: 0,
          manifests: [m('dev/operator/crd.yaml', crd('twingate.com', 'TwingateResource')), m('dev/operator/sa.yaml', obj('ServiceAccount', 'op'))],
        },
        {
          name: 'namespaces',
          wave: -1,
          manifests: [m('dev/namespaces/ns-b.yaml', obj('Namespace', 'b')), m('dev/namespaces/ns-a.yaml', obj('Namespace', 'a'))],
        },
        { name: 'gateway', wave: 1, manifests: [m('dev/gateway/res.yaml', obj('TwingateResource', 'r', { apiVersion: 'twingate.com/v1beta' }))] },
      ],
    });
    expect(files(plan.namespaces)).toEqual(['dev/namespaces/ns-a.yaml', 'dev/namespaces/ns-b.yaml']);
    expect(files(plan.crds)).toEqual(['dev/operator/crd.yaml']);
    // namespaces has nothing left once its Namespaces are hoisted: no empty step.
    expect(plan.components.map((c) => c.name)).toEqual(['operator', 'whoami', 'gateway']);
    expect(files(plan.components[0]!.manifests)).toEqual(['dev/operator/sa.yaml']);
    expect(plan.externalCrds).toEqual([]);
  });

  it('applies webhook configurations and APIServices after every component, whose backends do not run', () => {
    const hook = (kind: string, name: string) => obj(kind, name, { apiVersion: 'admissionregistration.k8s.io/v1' });
    const plan = planUnit({
      name: 'dev',
      components: [
        {
          name: 'a-cert-manager',
          wave: -5,
          manifests: [
            m('dev/a/validating.yaml', hook('ValidatingWebhookConfiguration', 'v')),
            m('dev/a/mutating.yaml', hook('MutatingWebhookConfiguration', 'm')),
            m('dev/a/api.yaml', obj('APIService', 'v1.x', { apiVersion: 'apiregistration.k8s.io/v1' })),
            m('dev/a/deploy.yaml', obj('Deployment', 'webhook')),
          ],
        },
        { name: 'b', wave: 0, manifests: [m('dev/b/issuer.yaml', obj('ClusterIssuer', 'ca', { apiVersion: 'cert-manager.io/v1' }))] },
      ],
    });
    expect(plan.components.map((c) => [c.name, files(c.manifests)])).toEqual([
      ['a-cert-manager', ['dev/a/deploy.yaml']],
      ['b', ['dev/b/issuer.yaml']],
    ]);
    expect(files(plan.lastly)).toEqual(['dev/a/api.yaml', 'dev/a/mutating.yaml', 'dev/a/validating.yaml']);
  });

  it('takes from the CRD library only kinds the unit uses and does not deliver itself', () => {
    const cert = obj('Certificate', 'tls', { apiVersion: 'cert-manager.io/v1' });
    const own = crd('example.com', 'Foo');
    const plan = planUnit({
      name: 'dev',
      crdLibrary: library,
      components: [
        {
          name: 'gw',
          wave: 0,
          manifests: [m('dev/gw/cert.yaml', cert), m('dev/gw/foo-crd.yaml', own), m('dev/gw/foo.yaml', obj('Foo', 'f', { apiVersion: 'example.com/v1' }))],
        },
      ],
    });
    expect(files(plan.externalCrds)).toEqual(['cert-manager/certificates.yaml']);
    expect(files(plan.crds)).toEqual(['dev/gw/foo-crd.yaml']);
  });
});

describe('readUnit and unitNames on a dist tree', () => {
  it('reads components with component.json, skips values.yaml, and treats dist/argocd as one component in a bootstrap namespace', () => {
    const dist = tempDir('zt-e2e-dist-');
    const write = (path: string, o: unknown) => {
      mkdirSync(join(dist, path, '..'), { recursive: true });
      writeFileSync(join(dist, path), typeof o === 'string' ? o : stringify(o));
    };
    write('dev/app/component.json', JSON.stringify({ component: { wave: 2 } }));
    write('dev/app/service.yaml', obj('Service', 's'));
    write('dev/app/values.yaml', { replicaCount: 1 });
    write('dev/base/component.json', JSON.stringify({ component: { wave: -1 } }));
    write('dev/base/both.yaml', `${stringify(obj('ServiceAccount', 'a'))}---\n${stringify(obj('ConfigMap', 'c'))}`);
    write('dev/ACCESS.md', '# not a component');
    write('argocd/appproject.yaml', obj('AppProject', 'p', { apiVersion: 'argoproj.io/v1alpha1' }));
    expect(unitNames(dist)).toEqual(['dev', 'argocd']);
    const dev = readUnit(dist, 'dev');
    expect(dev.components.map((c) => [c.name, c.wave, files(c.manifests)])).toEqual([
      ['base', -1, ['dev/base/both.yaml', 'dev/base/both.yaml']],
      ['app', 2, ['dev/app/service.yaml']],
    ]);
    expect(dev.bootstrapNamespaces).toEqual([]);
    const argocd = readUnit(dist, 'argocd');
    expect(argocd.bootstrapNamespaces).toEqual(['argocd']);
    expect(files(argocd.components[0]!.manifests)).toEqual(['argocd/appproject.yaml']);
  });

  it('finds every CRD of a nested directory and nothing else', () => {
    const dir = tempDir('zt-e2e-crds-');
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'x.yaml'), stringify(crd('x.io', 'X')));
    writeFileSync(join(dir, 'a', 'not-a-crd.yaml'), stringify(obj('ConfigMap', 'c')));
    expect(files(readCrdDirectory(dir))).toEqual(['a/b/x.yaml']);
  });

  it("plans the repository's own dist/: every environment starts with its namespaces and has a component per directory", () => {
    const dist = join(REPO, 'dist');
    for (const env of unitNames(dist).filter((u) => u !== 'argocd')) {
      const plan = readUnit(dist, env);
      expect(plan.namespaces.length, env).toBeGreaterThan(0);
      expect(
        plan.components.every((c) => c.manifests.every((x) => x.object.kind !== 'Namespace')),
        env,
      ).toBe(true);
    }
  });
});

describe('selectUnits (--env)', () => {
  const all = ['dev', 'lattice-cluster1', 'lattice-cluster2', 'prod', 'argocd'];

  it('takes a unit by its name, and a multi-cluster environment by its file name (all its clusters)', () => {
    expect(selectUnits(all, ['prod', 'lattice'])).toEqual({ units: ['lattice-cluster1', 'lattice-cluster2', 'prod'], unknown: [] });
    expect(selectUnits(all, ['lattice-cluster2'])).toEqual({ units: ['lattice-cluster2'], unknown: [] });
    expect(selectUnits(all, ['argocd', 'dev'])).toEqual({ units: ['dev', 'argocd'], unknown: [] });
  });

  it('selects everything without --env, and names what selects nothing', () => {
    expect(selectUnits(all, [])).toEqual({ units: all, unknown: [] });
    expect(selectUnits(all, ['qa', 'lattice-cluster3', 'dev'])).toEqual({ units: ['dev'], unknown: ['qa', 'lattice-cluster3'] });
  });
});
