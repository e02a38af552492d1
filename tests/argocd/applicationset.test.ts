/**
 * The ApplicationSets in dist/argocd, evaluated over the real dist/ tree and over fixture trees:
 * exactly one Application per component directory per matching cluster, every generated path
 * exists, no orphan directory, nothing outside the project.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type ArgoConfig, loadArgoConfig } from '../../argocd/settings';
import type { Environment } from '../../lib/environment';
import { argoObjects, clusters, loadEnvs, reader, realTree, synthTree } from '../support/argocd';
import { catalogue, fixtureClusterRole, fixtureConnector, fixtureOperator, fixtureResources } from '../support/argocd-components';
import { applicationProblems, type ClusterSecret, generateApplications, orphanDirectories } from '../support/argocd-evaluate';

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
  const appsets = argoObjects(tree, 'ApplicationSet');
  const projects = argoObjects(tree, 'AppProject');
  const apps = appsets.flatMap((a) => generateApplications(a, clusterList, tree, reader(tree)));
  const problems = apps.flatMap((a) => applicationProblems(a, projects, tree, reader(tree)));
  return { appsets, projects, apps, problems };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dirOf = (app: Record<string, any>): string => app.spec.source.path;

function expectOnePerDirPerCluster(tree: Map<string, string>, apps: ReturnType<typeof evaluate>['apps']) {
  for (const env of envs) {
    const envClusters = cls.filter((c) => c.labels[cfg.clusterLabel] === env.name);
    const expected = envClusters.flatMap((c) => componentDirs(tree, env.name).map((d) => `${c.name} ${d}`)).sort();
    const got = apps
      .filter((a) => a.spec.project.startsWith(`${env.name}-`))
      .map((a) => `${a.spec.destination.name} ${dirOf(a)}`)
      .sort();
    expect(got).toEqual(expected);
  }
  const names = apps.map((a) => a.metadata.name);
  expect(new Set(names).size).toBe(names.length);
  // The project follows the directory: apps in <env>-apps, platform components in <env>-platform.
  for (const a of apps) {
    const [, env, component] = dirOf(a).split('/') as [string, string, string];
    const e = envs.find((x) => x.name === env)!;
    expect(a.spec.project, dirOf(a)).toBe(`${env}-${Object.hasOwn(e.apps, component) ? 'apps' : 'platform'}`);
  }
}

/**
 * The apps ApplicationSets without their excluded paths (the platform directories): unchanged
 * whatever apps or platform components are added or removed.
 */
const appsSets = (tree: Map<string, string>) =>
  argoObjects(tree, 'ApplicationSet')
    .filter((a) => a.metadata.name.endsWith('-apps'))
    .map((a) => JSON.parse(JSON.stringify(a), (k, v) => (k === 'files' ? v.filter((f: { exclude?: boolean }) => !f.exclude) : v)));

describe('ApplicationSets over the committed dist/', () => {
  it('generate exactly one Application per component directory per labelled cluster, all admitted by their project', () => {
    const tree = realTree();
    const { appsets, apps, problems } = evaluate(tree, cls);
    expect(appsets.map((a) => a.metadata.name).sort()).toEqual(envs.flatMap((e) => [`${e.name}-apps`, `${e.name}-platform`]).sort());
    expect(apps.length).toBe(envs.reduce((n, e) => n + componentDirs(tree, e.name).length, 0));
    expect(apps.length).toBeGreaterThan(0);
    expectOnePerDirPerCluster(tree, apps);
    expect(problems).toEqual([]);
    expect(
      orphanDirectories(
        tree,
        envs.map((e) => e.name),
        apps,
      ),
    ).toEqual([]);
    // component.json's project is informational: the ApplicationSet hard-codes the same one.
    for (const a of apps) expect(JSON.parse(tree.get(`${dirOf(a)}/component.json`)!).component.project).toBe(a.spec.project);
  });

  it('give distractor clusters (unlabelled in-cluster, another environment label) nothing', () => {
    const { apps } = evaluate(realTree(), cls);
    expect(apps.some((a) => ['in-cluster', 'sandbox'].includes(a.spec.destination.name))).toBe(false);
  });

  it('generate nothing without a labelled cluster: onboarding is labelling a cluster Secret', () => {
    const tree = realTree();
    expect(
      evaluate(
        tree,
        cls.filter((c) => c.labels[cfg.clusterLabel] !== 'dev'),
      ).apps.some((a) => a.spec.project.startsWith('dev-')),
    ).toBe(false);
  });

  it('are refused by the project on a second cluster labelled with the environment but not named as its cluster', () => {
    const stray: ClusterSecret = { name: 'dev-us', server: 'https://dev-us.eks.example', labels: { [cfg.clusterLabel]: 'dev' } };
    const { apps, problems } = evaluate(realTree(), [...cls, stray]);
    const strayApps = apps.filter((a) => a.spec.destination.name === 'dev-us');
    expect(strayApps.length).toBe(componentDirs(realTree(), 'dev').length);
    for (const a of strayApps) expect(problems).toContain(`${a.metadata.name}: destination dev-us/${a.spec.destination.namespace} is not permitted`);
  });
});

describe('ApplicationSets over fixture trees', () => {
  const fixtureTree = (add: Parameters<typeof catalogue>[0], remove: string[] = []) => synthTree(envs, { argocd: cfg, componentsFor: catalogue(add, remove) });

  it('follow a component added and one removed, with no hand-edited list', () => {
    const before = realTree();
    const tree = fixtureTree([fixtureOperator, fixtureConnector], ['whoami']);
    const { apps, problems } = evaluate(tree, cls);
    expectOnePerDirPerCluster(tree, apps);
    expect(problems).toEqual([]);
    const dirs = new Set(apps.map(dirOf));
    expect(dirs.has('dist/dev/twingate-operator')).toBe(true);
    expect(dirs.has('dist/prod/connector')).toBe(true);
    expect([...dirs].some((d) => d.endsWith('/whoami'))).toBe(false);
    expect(
      evaluate(before, cls)
        .apps.map(dirOf)
        .some((d) => d.endsWith('/whoami')),
    ).toBe(true);
    // The apps ApplicationSets did not change: for apps, the tree is the list. The platform ones
    // name each platform directory (a privileged project takes no directory it was not told of).
    expect(appsSets(tree)).toEqual(appsSets(before));
  });

  it('hold for every combination of fixture components added and real components removed', () => {
    const fixtures = [fixtureOperator, fixtureConnector, fixtureResources, fixtureClusterRole];
    const baseline = appsSets(realTree());
    let cases = 0;
    for (let mask = 0; mask < 1 << fixtures.length; mask++) {
      // network-policy stays: without it synth's intent check (rightly) refuses to render.
      for (const remove of [[], ['whoami'], ['namespaces', 'whoami']]) {
        const tree = fixtureTree(
          fixtures.filter((_, i) => mask & (1 << i)),
          remove,
        );
        const { apps, problems } = evaluate(tree, cls);
        expectOnePerDirPerCluster(tree, apps);
        expect(problems).toEqual([]);
        expect(
          orphanDirectories(
            tree,
            envs.map((e) => e.name),
            apps,
          ),
        ).toEqual([]);
        expect(appsSets(tree)).toEqual(baseline);
        cases++;
      }
    }
    expect(cases).toBe(48);
    // 48 syntheses of every environment (urlshort renders the SPIRE charts): allow for a loaded machine.
  }, 180_000);

  it('render every component, chart ones included, as one plain directory source of this repository', () => {
    const tree = fixtureTree([fixtureOperator]);
    const app = evaluate(tree, cls).apps.find((a) => a.metadata.name === 'prod-eu-twingate-operator')!;
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
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-5');
  });

  it('report a component directory removed without its Application, and an orphan directory', () => {
    const tree = realTree();
    for (const p of [...tree.keys()]) if (p.startsWith('dist/dev/whoami/')) tree.delete(p);
    tree.set('dist/dev/stray/deployment.x.x.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: x}\n');
    const { apps } = evaluate(tree, cls);
    expect(apps.map(dirOf)).not.toContain('dist/dev/whoami');
    expect(
      orphanDirectories(
        tree,
        envs.map((e) => e.name),
        apps,
      ),
    ).toEqual(['dist/dev/stray']);
  });

  it('fail generation when component.json lacks a key the template reads (missingkey=error)', () => {
    const tree = realTree();
    const p = 'dist/dev/whoami/component.json';
    const meta = JSON.parse(tree.get(p)!);
    delete meta.component.namespace;
    tree.set(p, JSON.stringify(meta));
    expect(() => evaluate(tree, cls)).toThrow(/no entry for key "namespace"/);
  });
});
