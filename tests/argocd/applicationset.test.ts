/**
 * App of apps in dist/argocd, evaluated over the real dist/ tree and over fixture trees: one
 * ApplicationSet per environment generating one parent Application per labelled cluster, each
 * parent syncing exactly one child Application per component directory, every path existing,
 * no orphan directory, nothing outside the projects.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES_FINALIZER, SYNC_OPTIONS, SYNC_WAVE } from '../../argocd/applicationset';
import { type ArgoConfig, loadArgoConfig } from '../../argocd/settings';
import type { Environment } from '../../lib/environment';
import { argoObjects, clusters, delivered, loadEnvs, reader, realTree, synthTree } from '../support/argocd';
import { catalogue, fixtureClusterRole, fixtureConnector, fixtureOperator, fixtureResources } from '../support/argocd-components';
import { applicationProblems, type ClusterSecret, orphanDirectories } from '../support/argocd-evaluate';

let envs: Environment[];
let cfg: ArgoConfig;
let cls: ClusterSecret[];

beforeAll(async () => {
  envs = await loadEnvs();
  // The committed config, so fixture trees and the committed dist/ are comparable.
  cfg = await loadArgoConfig(envs.map((e) => e.name));
  cls = clusters(envs, cfg);
});

/** Component directories of an environment in a tree: `dist/<env>/<component>`. */
const componentDirs = (tree: ReadonlyMap<string, string>, env: string) =>
  [...new Set([...tree.keys()].filter((p) => p.startsWith(`dist/${env}/`) && p.split('/').length === 4).map((p) => p.split('/').slice(0, 3).join('/')))].sort();

function evaluate(tree: Map<string, string>, clusterList: readonly ClusterSecret[]) {
  const d = delivered(tree, clusterList);
  const projects = argoObjects(tree, 'AppProject');
  const problems = [...d.parents, ...d.children].flatMap((a) => applicationProblems(a, projects, tree, reader(tree)));
  return { ...d, projects, problems };
}

const dirOf = (app: Record<string, any>): string => app.spec.source.path;

function expectOneChildPerDir(tree: Map<string, string>, e: ReturnType<typeof evaluate>) {
  for (const env of envs) {
    const envClusters = cls.filter((c) => c.labels[cfg.clusterLabel] === env.name);
    // One parent per labelled cluster, named after it, syncing the environment's children.
    const parents = e.parents.filter((p) => p.spec.project === `${env.name}-delivery`);
    expect(parents.map((p) => p.metadata.name).sort()).toEqual(envClusters.map((c) => c.name).sort());
    for (const p of parents) {
      expect(dirOf(p)).toBe(`dist/argocd/${env.name}`);
      expect(p.spec.destination).toEqual({ name: p.metadata.name, namespace: cfg.namespace });
      const children = e.byParent.get(p.metadata.name)!;
      expect(children.map(dirOf).sort()).toEqual(componentDirs(tree, env.name));
      for (const c of children) {
        const component = dirOf(c).split('/')[2]!;
        expect(c.metadata.name).toBe(`${env.cluster.name}-${component}`);
        expect(c.metadata.namespace).toBe(cfg.namespace);
        expect(c.spec.destination.name).toBe(env.cluster.name);
        // The project follows the registry: apps in <env>-apps, platform components in <env>-platform.
        expect(c.spec.project, dirOf(c)).toBe(`${env.name}-${Object.hasOwn(env.apps, component) ? 'apps' : 'platform'}`);
        expect(c.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
        expect(Number.isInteger(Number(c.metadata.annotations[SYNC_WAVE]))).toBe(true);
      }
    }
  }
  const names = e.children.map((a) => a.metadata.name);
  expect(new Set(names).size).toBe(names.length);
}

describe('app of apps over the committed dist/', () => {
  it('one ApplicationSet per environment, one parent per labelled cluster, one child per component directory, all admitted', () => {
    const tree = realTree();
    const e = evaluate(tree, cls);
    expect(e.appsets.map((a) => a.metadata.name).sort()).toEqual(envs.map((x) => x.name).sort());
    expect(e.parents.length).toBe(envs.length);
    expect(e.children.length).toBe(envs.reduce((n, x) => n + componentDirs(tree, x.name).length, 0));
    expect(e.children.length).toBeGreaterThan(0);
    expectOneChildPerDir(tree, e);
    expect(e.problems).toEqual([]);
    expect(
      orphanDirectories(
        tree,
        envs.map((x) => x.name),
        e.children,
      ),
    ).toEqual([]);
    // component.json's project is informational: the child Application carries the same one.
    for (const a of e.children) expect(JSON.parse(tree.get(`${dirOf(a)}/component.json`)!).component.project).toBe(a.spec.project);
  });

  it('parents: project and path hard-coded, cluster templated, resources finalizer, no PruneLast (pruning follows the waves in reverse)', () => {
    for (const appset of argoObjects(realTree(), 'ApplicationSet')) {
      const env = appset.metadata.name;
      const t = (appset.spec as { template: any }).template;
      expect((appset.spec as { generators: unknown }).generators).toEqual([{ clusters: { selector: { matchLabels: { [cfg.clusterLabel]: env } } } }]);
      expect(t.spec.project).toBe(`${env}-delivery`);
      expect(t.spec.source).toEqual({ repoURL: cfg.repoURL, targetRevision: 'main', path: `dist/argocd/${env}`, directory: { recurse: false } });
      expect(t.metadata.finalizers).toEqual([RESOURCES_FINALIZER]);
      expect(t.spec.syncPolicy.syncOptions).not.toContain('PruneLast=true');
      expect((appset.spec as { templatePatch?: string }).templatePatch).toBeUndefined();
    }
  });

  it("children: the resources finalizer, except where deleting would remove Argo CD's own ground (kept, Delete=false)", () => {
    const { children } = evaluate(realTree(), cls);
    for (const c of children) {
      const component = dirOf(c).split('/')[2]!;
      const keep = ['namespaces', 'argo-cd'].includes(component);
      expect(c.metadata.finalizers, component).toEqual(keep ? undefined : [RESOURCES_FINALIZER]);
      expect(c.metadata.annotations[SYNC_OPTIONS], component).toBe(keep ? 'Delete=false' : undefined);
    }
    expect(children.filter((c) => dirOf(c).endsWith('/namespaces')).length).toBe(envs.length);
  });

  it('give distractor clusters (unlabelled in-cluster, another environment label) nothing', () => {
    const { parents } = evaluate(realTree(), cls);
    expect(parents.some((a) => ['in-cluster', 'sandbox'].includes(a.spec.destination.name))).toBe(false);
  });

  it('generate nothing without a labelled cluster: onboarding is labelling a cluster Secret', () => {
    const e = evaluate(
      realTree(),
      cls.filter((c) => c.labels[cfg.clusterLabel] !== 'dev'),
    );
    expect(e.parents.some((a) => a.spec.project === 'dev-delivery')).toBe(false);
    expect(e.children.some((a) => a.spec.project.startsWith('dev-'))).toBe(false);
  });

  it('are refused by the project on a second cluster labelled with the environment but not named as its cluster', () => {
    const stray: ClusterSecret = { name: 'dev-us', server: 'https://dev-us.eks.example', labels: { [cfg.clusterLabel]: 'dev' } };
    const { parents, problems } = evaluate(realTree(), [...cls, stray]);
    expect(parents.filter((a) => a.spec.destination.name === 'dev-us').map((a) => a.metadata.name)).toEqual(['dev-us']);
    expect(problems).toContain(`dev-us: destination dev-us/${cfg.namespace} is not permitted`);
  });
});

describe('app of apps over fixture trees', () => {
  const fixtureTree = (add: Parameters<typeof catalogue>[0], remove: string[] = []) => synthTree(envs, { argocd: cfg, componentsFor: catalogue(add, remove) });

  it('follow a component added and one removed, with no hand-edited list', () => {
    const before = realTree();
    const tree = fixtureTree([fixtureOperator, fixtureConnector], ['whoami']);
    const e = evaluate(tree, cls);
    expectOneChildPerDir(tree, e);
    expect(e.problems).toEqual([]);
    const dirs = new Set(e.children.map(dirOf));
    expect(dirs.has('dist/dev/twingate-operator')).toBe(true);
    expect(dirs.has('dist/prod/connector')).toBe(true);
    expect([...dirs].some((d) => d.endsWith('/whoami'))).toBe(false);
    expect(
      evaluate(before, cls)
        .children.map(dirOf)
        .some((d) => d.endsWith('/whoami')),
    ).toBe(true);
    // The ApplicationSets did not change: adding or removing a component changes only dist/argocd/<env>/.
    expect(argoObjects(tree, 'ApplicationSet')).toEqual(argoObjects(before, 'ApplicationSet'));
  });

  it('hold for every combination of fixture components added and real components removed', () => {
    const fixtures = [fixtureOperator, fixtureConnector, fixtureResources, fixtureClusterRole];
    const baseline = argoObjects(realTree(), 'ApplicationSet');
    let cases = 0;
    for (let mask = 0; mask < 1 << fixtures.length; mask++) {
      // Custom resources without the operator that delivers their CRD: synth's reference check (rightly) refuses.
      if (mask & 0b0100 && !(mask & 0b0001)) continue;
      // namespaces and network-policy stay: without them synth's reference and intent checks (rightly) refuse to render.
      for (const remove of [[], ['whoami'], ['admission-policies', 'whoami']]) {
        const tree = fixtureTree(
          fixtures.filter((_, i) => mask & (1 << i)),
          remove,
        );
        const e = evaluate(tree, cls);
        expectOneChildPerDir(tree, e);
        expect(e.problems).toEqual([]);
        expect(
          orphanDirectories(
            tree,
            envs.map((x) => x.name),
            e.children,
          ),
        ).toEqual([]);
        expect(argoObjects(tree, 'ApplicationSet')).toEqual(baseline);
        // The custom resources of a component never sync before the component serving their CRD.
        for (const c of e.children.filter((x) => dirOf(x).endsWith('/access'))) {
          const operator = e.children.find((x) => x.spec.destination.name === c.spec.destination.name && dirOf(x).endsWith('/twingate-operator'));
          if (operator) expect(Number(operator.metadata.annotations[SYNC_WAVE])).toBeLessThanOrEqual(Number(c.metadata.annotations[SYNC_WAVE]));
        }
        cases++;
      }
    }
    expect(cases).toBe(36);
    // 36 synths of six environments (urlshort renders the SPIRE charts, lattice is two): far more than the default minute on a loaded machine.
  }, 600_000);

  it('render every component, chart ones included, as one plain directory source of this repository', () => {
    const tree = fixtureTree([fixtureOperator]);
    const app = evaluate(tree, cls).children.find((a) => a.metadata.name === 'prod-eu-twingate-operator')!;
    expect(app.spec.sources).toBeUndefined();
    expect(app.spec.source).toEqual({
      repoURL: cfg.repoURL,
      targetRevision: 'main',
      path: 'dist/prod/twingate-operator',
      directory: { exclude: '{component.json,values.yaml}' },
    });
    // The chart's output is in the directory (its CRDs among it); values.yaml stays for review only.
    expect([...tree.keys()].some((p) => p.startsWith('dist/prod/twingate-operator/customresourcedefinition.'))).toBe(true);
    expect(tree.has('dist/prod/twingate-operator/values.yaml')).toBe(true);
    expect(app.spec.ignoreDifferences.map((d: { kind: string }) => d.kind)).toContain('TwingateResource');
    // A platform component after the foundation (namespaces 0, network-policy 1).
    expect(app.metadata.annotations[SYNC_WAVE]).toBe('2');
  });

  it('report a component directory removed without its Application, and an orphan directory', () => {
    const tree = realTree();
    for (const p of [...tree.keys()]) if (p.startsWith('dist/dev/whoami/')) tree.delete(p);
    tree.set('dist/dev/stray/deployment.x.x.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: x}\n');
    const { children, problems } = evaluate(tree, cls);
    expect(problems).toContain('dev-eu-whoami: path dist/dev/whoami does not exist');
    expect(
      orphanDirectories(
        tree,
        envs.map((x) => x.name),
        children,
      ),
    ).toEqual(['dist/dev/stray']);
  });

  it("refuse anything but Applications in a parent's directory", () => {
    const tree = realTree();
    tree.set('dist/argocd/dev/configmap.argocd.x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: argocd}\n');
    expect(() => evaluate(tree, cls)).toThrow("dist/argocd/dev/configmap.argocd.x.yaml: a parent's directory holds Applications only, not a ConfigMap");
  });
});
