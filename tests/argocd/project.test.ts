/** AppProjects: least privilege per environment, and the bootstrap project around the root. */
import { beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_PROJECT, IN_CLUSTER, ROOT_APPLICATION } from '../../argocd/bootstrap';
import { type ArgoConfig, loadArgoConfig } from '../../argocd/settings';
import type { Environment } from '../../lib/environment';
import type { ApiObject } from '../../lib/output';
import { componentsFor } from '../../platform/registry';
import { argoObjects, clusters, loadEnvs, reader, realTree, synthTree } from '../support/argocd';
import { catalogue, fixtureClusterRole, fixtureConnector, fixtureOperator, fixtureResources } from '../support/argocd-components';
import { applicationProblems, type ClusterSecret, generateApplications } from '../support/argocd-evaluate';

let envs: Environment[];
let cfg: ArgoConfig;
let cls: ClusterSecret[];
let fixture: Map<string, string>;

beforeAll(async () => {
  envs = await loadEnvs();
  cfg = await loadArgoConfig(envs.map((e) => e.name));
  cls = clusters(envs, cfg);
  fixture = synthTree(envs, { argocd: cfg, componentsFor: catalogue([fixtureOperator, fixtureConnector, fixtureResources, fixtureClusterRole]) });
});

const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
const project = (tree: Map<string, string>, name: string) =>
  argoObjects(tree, 'AppProject').find((p) => p.metadata.name === name)! as ApiObject & { spec: any };

describe('environment AppProjects', () => {
  it('exist once per environment, with no wildcard anywhere (prod included)', () => {
    for (const tree of [realTree(), fixture]) {
      const names = argoObjects(tree, 'AppProject')
        .map((p) => p.metadata.name)
        .sort();
      expect(names).toEqual([BOOTSTRAP_PROJECT, ...envs.map((e) => e.name)].sort());
      for (const p of argoObjects(tree, 'AppProject')) expect(strings(p.spec).filter((s) => s.includes('*'))).toEqual([]);
    }
    expect(project(realTree(), 'prod')).toBeDefined();
  });

  it('allow this repository alone: charts are rendered into it, no chart repository is registered', () => {
    for (const env of envs) {
      expect(componentsFor(env).some((c) => c.chart)).toBe(true);
      expect(project(realTree(), env.name).spec.sourceRepos).toEqual([cfg.repoURL]);
    }
    expect(project(fixture, 'dev').spec.sourceRepos).toEqual([cfg.repoURL]);
  });

  it("allow only the environment's cluster, by name, and the namespaces its components use", () => {
    for (const env of envs) {
      const p = project(fixture, env.name);
      expect(new Set(p.spec.destinations.map((d: { name: string }) => d.name))).toEqual(new Set([env.cluster.name]));
      expect(p.spec.destinations.every((d: { server?: string }) => d.server === undefined)).toBe(true);
      expect(p.spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual([...env.namespaces, 'twingate-connectors'].sort());
    }
  });

  it('whitelist cluster-scoped kinds one by one: rendered ones plus what the charts install', () => {
    const kinds = (tree: Map<string, string>) =>
      project(tree, 'staging').spec.clusterResourceWhitelist.map((k: { group: string; kind: string }) => `${k.group}/${k.kind}`);
    // Real staging: Namespaces, the ClusterSecretStore and gateway RBAC it renders, plus what the Twingate charts install.
    expect(kinds(realTree())).toEqual([
      '/Namespace',
      'apiextensions.k8s.io/CustomResourceDefinition',
      'external-secrets.io/ClusterSecretStore',
      'rbac.authorization.k8s.io/ClusterRole',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
    ]);
    expect(kinds(fixture)).toEqual([
      '/Namespace',
      'apiextensions.k8s.io/CustomResourceDefinition',
      'rbac.authorization.k8s.io/ClusterRole',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
    ]);
  });

  it('admit every generated Application of the fixture tree', () => {
    const projects = argoObjects(fixture, 'AppProject');
    const apps = argoObjects(fixture, 'ApplicationSet').flatMap((a) => generateApplications(a, cls, fixture, reader(fixture)));
    // 7 per environment, plus network-probes in staging.
    expect(apps.length).toBe(envs.length * 7 + 1);
    expect(apps.flatMap((a) => applicationProblems(a, projects, fixture, reader(fixture)))).toEqual([]);
  });

  it('refuse an Application that would deploy outside the project', () => {
    const tree = new Map(fixture);
    tree.set('dist/dev/whoami/configmap.kube-system.x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\n');
    tree.set(
      'dist/dev/whoami/validatingwebhookconfiguration.hook.yaml',
      'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: hook}\n',
    );
    const projects = argoObjects(tree, 'AppProject');
    const app = argoObjects(tree, 'ApplicationSet')
      .flatMap((a) => generateApplications(a, cls, tree, reader(tree)))
      .find((a) => a.metadata.name === 'dev-eu-whoami')!;
    expect(applicationProblems(app, projects, tree, reader(tree))).toEqual([
      "dev-eu-whoami: dist/dev/whoami/configmap.kube-system.x.yaml deploys into namespace kube-system, outside the project's destinations",
      "dev-eu-whoami: dist/dev/whoami/validatingwebhookconfiguration.hook.yaml is a cluster-scoped admissionregistration.k8s.io/ValidatingWebhookConfiguration, not in the project's clusterResourceWhitelist",
    ]);
    const foreign = {
      ...app,
      spec: {
        ...app.spec,
        source: undefined,
        sources: [{ repoURL: 'https://charts.example.com', chart: 'connector', targetRevision: '1.0.0' }, app.spec.source],
      },
    };
    expect(applicationProblems(foreign, projects, tree, reader(tree))).toContain(
      "dev-eu-whoami: source https://charts.example.com is not in project dev's sourceRepos",
    );
  });
});

describe('bootstrap', () => {
  it('the bootstrap project allows only Argo CD kinds in Argo CD namespace, nothing cluster-scoped', () => {
    const p = project(realTree(), BOOTSTRAP_PROJECT);
    expect(p.spec.sourceRepos).toEqual([cfg.repoURL]);
    expect(p.spec.destinations).toEqual([{ server: IN_CLUSTER, namespace: cfg.namespace }]);
    expect(p.spec.clusterResourceWhitelist).toEqual([]);
    expect(p.spec.namespaceResourceWhitelist.map((k: { kind: string }) => k.kind).sort()).toEqual(['AppProject', 'Application', 'ApplicationSet']);
  });

  it('the root Application syncs dist/argocd with prune and self-heal, and its project admits it', () => {
    const tree = realTree();
    const root = argoObjects(tree, 'Application').find((a) => a.metadata.name === ROOT_APPLICATION)! as ApiObject & { spec: any };
    expect(root.spec.source).toEqual({ repoURL: cfg.repoURL, targetRevision: cfg.targetRevision, path: 'dist/argocd', directory: { recurse: false } });
    expect(root.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(root.metadata.finalizers).toBeUndefined();
    expect(applicationProblems(root, argoObjects(tree, 'AppProject'), tree, reader(tree))).toEqual([]);
  });
});
