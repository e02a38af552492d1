/** AppProjects: least privilege per environment, and the bootstrap project around the root. */
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BOOTSTRAP_PROJECT, IN_CLUSTER, ROOT_APPLICATION } from '../../argocd/bootstrap';
import { type ArgoConfig, loadArgoConfig } from '../../argocd/settings';
import type { Environment } from '../../lib/environment';
import { groupOf } from '../../lib/kinds';
import type { ApiObject } from '../../lib/output';
import { componentsFor } from '../../platform/registry';
import { spireSettingsOf } from '../../platform/spire';
import { argoObjects, clusters, delivered, loadEnvs, reader, realTree, synthTree } from '../support/argocd';
import { catalogue, fixtureClusterRole, fixtureConnector, fixtureOperator, fixtureResources } from '../support/argocd-components';
import { applicationProblems, type ClusterSecret } from '../support/argocd-evaluate';

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
  it('exist three times per environment (platform, apps, delivery), with no wildcard anywhere (prod included)', () => {
    for (const tree of [realTree(), fixture]) {
      const names = argoObjects(tree, 'AppProject')
        .map((p) => p.metadata.name)
        .sort();
      expect(names).toEqual([BOOTSTRAP_PROJECT, ...envs.flatMap((e) => [`${e.name}-platform`, `${e.name}-apps`, `${e.name}-delivery`])].sort());
      for (const p of argoObjects(tree, 'AppProject')) expect(strings(p.spec).filter((s) => s.includes('*'))).toEqual([]);
    }
    expect(project(realTree(), 'prod-platform')).toBeDefined();
  });

  it('are synced by the root one wave before the ApplicationSets, so no generated parent names a project Argo CD does not hold yet', () => {
    const wave = (o: ApiObject) => Number((o.metadata.annotations as Record<string, string> | undefined)?.['argocd.argoproj.io/sync-wave'] ?? 0);
    const rooted = (kind: string) => argoObjects(realTree(), kind).filter((o) => o.metadata.name !== BOOTSTRAP_PROJECT && o.metadata.name !== ROOT_APPLICATION);
    const projects = rooted('AppProject');
    expect(projects).toHaveLength(envs.length * 3);
    const sets = rooted('ApplicationSet');
    expect(sets).toHaveLength(envs.length);
    expect(Math.max(...projects.map(wave))).toBeLessThan(Math.min(...sets.map(wave)));
  });

  it("carry Argo CD's resources finalizer, so removing an environment from git cannot delete a project its Applications still need to finish their own deletion", () => {
    const rooted = argoObjects(realTree(), 'AppProject').filter((o) => o.metadata.name !== BOOTSTRAP_PROJECT);
    expect(rooted).toHaveLength(envs.length * 3);
    for (const p of rooted) expect(p.metadata.finalizers, p.metadata.name).toEqual(['resources-finalizer.argocd.argoproj.io']);
  });

  it('app projects: nothing cluster-scoped, no NetworkPolicy, Role or RoleBinding, app namespaces only', () => {
    for (const env of envs) {
      const p = project(realTree(), `${env.name}-apps`);
      expect(p.spec.clusterResourceWhitelist).toEqual([]);
      expect(p.spec.namespaceResourceBlacklist).toEqual([
        { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
        { group: 'rbac.authorization.k8s.io', kind: 'Role' },
        { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
      ]);
      expect(p.spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual([...new Set(Object.values(env.apps).map((a) => a.namespace))].sort());
    }
  });

  it('refuse an app Application carrying a NetworkPolicy, a RoleBinding, a ClusterRole, a CRD, a webhook or a Namespace', () => {
    const tree = new Map(realTree());
    const add = (file: string, doc: string) => tree.set(`dist/dev/whoami/${file}`, doc);
    add(
      'networkpolicy.whoami.open.yaml',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: open, namespace: whoami}\nspec: {podSelector: {}}\n',
    );
    add(
      'rolebinding.whoami.me.yaml',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: me, namespace: whoami}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\n',
    );
    add('clusterrole.x.yaml', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\n');
    add('customresourcedefinition.x.yaml', 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: xs.example.com}\n');
    add('mutatingwebhookconfiguration.x.yaml', 'apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: x}\n');
    add('namespace.x.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n');
    // component.json cannot move it: the child Application in dist/argocd names the project, from the registry.
    const meta = JSON.parse(tree.get('dist/dev/whoami/component.json')!);
    tree.set('dist/dev/whoami/component.json', JSON.stringify({ component: { ...meta.component, project: 'dev-platform' } }));
    const projects = argoObjects(tree, 'AppProject');
    const app = delivered(tree, cls).children.filter((a) => a.metadata.name === 'dev-eu-whoami');
    expect(app).toHaveLength(1);
    expect(app[0]!.spec.project).toBe('dev-apps');
    const problems = applicationProblems(app[0]!, projects, tree, reader(tree));
    expect([...problems].sort()).toEqual([
      "dev-eu-whoami: dist/dev/whoami/clusterrole.x.yaml is a cluster-scoped rbac.authorization.k8s.io/ClusterRole, not in the project's clusterResourceWhitelist",
      "dev-eu-whoami: dist/dev/whoami/customresourcedefinition.x.yaml is a cluster-scoped apiextensions.k8s.io/CustomResourceDefinition, not in the project's clusterResourceWhitelist",
      "dev-eu-whoami: dist/dev/whoami/mutatingwebhookconfiguration.x.yaml is a cluster-scoped admissionregistration.k8s.io/MutatingWebhookConfiguration, not in the project's clusterResourceWhitelist",
      "dev-eu-whoami: dist/dev/whoami/namespace.x.yaml is a cluster-scoped core/Namespace, not in the project's clusterResourceWhitelist",
      "dev-eu-whoami: dist/dev/whoami/networkpolicy.whoami.open.yaml is a networking.k8s.io/NetworkPolicy, in the project's namespaceResourceBlacklist",
      "dev-eu-whoami: dist/dev/whoami/networkpolicy.whoami.open.yaml is a networking.k8s.io/NetworkPolicy, not in the project's namespaceResourceWhitelist",
      "dev-eu-whoami: dist/dev/whoami/rolebinding.whoami.me.yaml is a rbac.authorization.k8s.io/RoleBinding, in the project's namespaceResourceBlacklist",
      "dev-eu-whoami: dist/dev/whoami/rolebinding.whoami.me.yaml is a rbac.authorization.k8s.io/RoleBinding, not in the project's namespaceResourceWhitelist",
    ]);
    // The same objects in a platform directory are admitted (the platform renders RBAC and policies).
    expect(project(tree, 'dev-platform').spec.clusterResourceWhitelist.some((k: { kind: string }) => k.kind === 'ClusterRole')).toBe(true);
  });

  it('allow this repository alone: charts are rendered into it, no chart repository is registered', () => {
    for (const env of envs) {
      expect(componentsFor(env).some((c) => c.chart)).toBe(true);
      expect(project(realTree(), `${env.name}-platform`).spec.sourceRepos).toEqual([cfg.repoURL]);
      expect(project(realTree(), `${env.name}-apps`).spec.sourceRepos).toEqual([cfg.repoURL]);
    }
    expect(project(fixture, 'dev-platform').spec.sourceRepos).toEqual([cfg.repoURL]);
  });

  it("allow only the environment's cluster, by name, and the namespaces its components use", () => {
    for (const env of envs) {
      const p = project(fixture, `${env.name}-platform`);
      expect(new Set(p.spec.destinations.map((d: { name: string }) => d.name))).toEqual(new Set([env.cluster.name]));
      expect(p.spec.destinations.every((d: { server?: string }) => d.server === undefined)).toBe(true);
      // Plus the SPIRE agent's namespace where spire is on (rendered by that component, not owned).
      const agent = env.components.includes('spire') ? [spireSettingsOf(env).agentNamespace] : [];
      expect(p.spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual([...env.namespaces, 'twingate-connectors', ...agent].sort());
    }
  });

  it('whitelist cluster-scoped kinds one by one: rendered ones plus what the charts install', () => {
    const kinds = (tree: Map<string, string>) =>
      project(tree, 'staging-platform').spec.clusterResourceWhitelist.map((k: { group: string; kind: string }) => `${k.group}/${k.kind}`);
    // Real staging: Namespaces, the ClusterIssuers, ClusterSecretStore and gateway RBAC it renders, plus what the charts install (webhooks).
    expect(kinds(realTree())).toEqual([
      '/Namespace',
      'admissionregistration.k8s.io/MutatingWebhookConfiguration',
      'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
      'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
      'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
      'apiextensions.k8s.io/CustomResourceDefinition',
      'cert-manager.io/ClusterIssuer',
      'external-secrets.io/ClusterSecretStore',
      'rbac.authorization.k8s.io/ClusterRole',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
    ]);
    expect(kinds(fixture)).toEqual([
      '/Namespace',
      'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
      'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
      'apiextensions.k8s.io/CustomResourceDefinition',
      'rbac.authorization.k8s.io/ClusterRole',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
    ]);
  });

  it('whitelist namespaced kinds one by one: exactly those the components render, hooks and chart output included', () => {
    const tree = realTree();
    for (const env of envs) {
      for (const kind of ['platform', 'apps'] as const) {
        const rendered = new Set<string>();
        for (const [p, c] of tree) {
          const [, e, component, file] = p.split('/');
          if (e !== env.name || !file?.endsWith('.yaml') || file === 'values.yaml') continue;
          if ((Object.hasOwn(env.apps, component!) ? 'apps' : 'platform') !== kind) continue;
          const doc = parse(c) as ApiObject;
          if (doc.metadata.namespace) rendered.add(`${groupOf(doc.apiVersion)}/${doc.kind}`);
        }
        const listed = project(tree, `${env.name}-${kind}`).spec.namespaceResourceWhitelist.map((k: { group: string; kind: string }) => `${k.group}/${k.kind}`);
        expect(listed, `${env.name}-${kind}`).toEqual([...rendered].sort());
      }
    }
    // Argo CD's own chart among them: its hook Job and its Secret (rendered without data).
    const staging = project(tree, 'staging-platform').spec.namespaceResourceWhitelist.map((k: { group: string; kind: string }) => `${k.group}/${k.kind}`);
    expect(staging).toEqual(expect.arrayContaining(['/Secret', 'batch/Job', 'apps/StatefulSet', 'rbac.authorization.k8s.io/Role']));
  });

  it('delivery projects: Application objects only, in Argo CD namespace on the environment cluster, nothing cluster-scoped', () => {
    for (const env of envs) {
      const p = project(realTree(), `${env.name}-delivery`);
      expect(p.spec.sourceRepos).toEqual([cfg.repoURL]);
      expect(p.spec.destinations).toEqual([{ name: env.cluster.name, namespace: cfg.namespace }]);
      expect(p.spec.clusterResourceWhitelist).toEqual([]);
      expect(p.spec.namespaceResourceWhitelist).toEqual([{ group: 'argoproj.io', kind: 'Application' }]);
    }
  });

  it('admit every generated Application of the fixture tree', () => {
    const projects = argoObjects(fixture, 'AppProject');
    const { parents, children } = delivered(fixture, cls);
    // 9 children per environment (argo-cd, admission-policies and the 4 fixtures included), plus network-probes in
    // staging, plus urlshort's spire-crds, spire and 3 more apps (it has 4; the others 1), plus kyverno in each lattice
    // unit (vpc-lattice goes with the prerequisites it requires); one parent each.
    expect(children.length).toBe(envs.length * 9 + 1 + 2 + 3 + 2);
    expect(parents.length).toBe(envs.length);
    const apps = [...parents, ...children];
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
    const app = delivered(tree, cls).children.find((a) => a.metadata.name === 'dev-eu-whoami')!;
    expect(applicationProblems(app, projects, tree, reader(tree))).toEqual([
      "dev-eu-whoami: dist/dev/whoami/configmap.kube-system.x.yaml deploys into namespace kube-system, outside the project's destinations",
      "dev-eu-whoami: dist/dev/whoami/configmap.kube-system.x.yaml is a core/ConfigMap, not in the project's namespaceResourceWhitelist",
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
      "dev-eu-whoami: source https://charts.example.com is not in project dev-apps's sourceRepos",
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
    // No `directory: { recurse: false }`: Argo CD writes its own Application back without that default, and
    // the difference kept root OutOfSync and re-syncing under self-heal (measured under real Argo CD, docs/e2e.md).
    expect(root.spec.source).toEqual({ repoURL: cfg.repoURL, targetRevision: cfg.targetRevision, path: 'dist/argocd' });
    expect(root.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(root.metadata.finalizers).toBeUndefined();
    expect(applicationProblems(root, argoObjects(tree, 'AppProject'), tree, reader(tree))).toEqual([]);
  });
});
