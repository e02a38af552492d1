/** Shared setup of the Argo CD tests: environments, config, clusters, trees. */
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ArgoConfig } from '../../argocd/settings';
import type { Environment } from '../../lib/environment';
import { loadEnvironments, REPO_ROOT } from '../../lib/load';
import { type ApiObject, readTree } from '../../lib/output';
import { type SynthOptions, synthesize } from '../../lib/synth';
import { type ClusterSecret, childApplications, generateApplications } from './argocd-evaluate';

/**
 * The committed environments the fixture catalogues stand in for: those with Twingate (the
 * fixtures replace the Twingate components; a Tailscale-only environment such as lab has none).
 */
export const loadEnvs = async () => (await loadEnvironments()).filter((e) => e.settings.twingate !== undefined);

/** One cluster Secret per environment (named like the environment's cluster), plus two distractors. */
export function clusters(envs: readonly Environment[], cfg: ArgoConfig): ClusterSecret[] {
  return [
    ...envs.map((e) => ({ name: e.cluster.name, server: `https://${e.cluster.name}.eks.example`, labels: { [cfg.clusterLabel]: e.name } })),
    { name: 'in-cluster', server: 'https://kubernetes.default.svc', labels: {} },
    { name: 'sandbox', server: 'https://sandbox.eks.example', labels: { [cfg.clusterLabel]: 'qa' } },
  ];
}

/** A synthesized tree as the repository sees it (paths under `dist/`). */
/**
 * Environments for fixture catalogues, which stand in for the real Twingate components and
 * render no chart pods: the intent proof then models the platform's pods from their declarations.
 */
export function standIn(envs: readonly Environment[]): Environment[] {
  return envs.map((e) => ({ ...e, workloads: e.workloads.map((w) => ({ modelled: 'a fixture component stands in for it', ...w })) }));
}

export function synthTree(envs: readonly Environment[], options: SynthOptions): Map<string, string> {
  return new Map(synthesize(options.componentsFor ? standIn(envs) : envs, options).files.map((f) => [`dist/${f.path}`, f.content]));
}

/**
 * The committed dist/ tree, restricted like {@link loadEnvs} to the environments with Twingate
 * (those with a `twingate-operator` directory), so it compares with the fixture trees: the other
 * environments' directories and their AppProjects and ApplicationSets are left out.
 */
export const realTree = (): Map<string, string> => {
  const tree = readTree(join(REPO_ROOT, 'dist'));
  const envs = new Set([...tree.keys()].filter((p) => p.split('/')[1] === 'twingate-operator').map((p) => p.split('/')[0]!));
  const other = (p: string) => {
    const [top, sub, file] = p.split('/');
    if (top !== 'argocd') return top !== undefined && !envs.has(top) && p.includes('/');
    // argocd/<env>/: the environment's child Applications.
    if (file !== undefined) return !envs.has(sub!);
    // argocd/<kind>.argocd.<env>[-apps|-platform|-delivery].yaml: its ApplicationSet and projects.
    const m = /^\w+\.argocd\.(.+?)(-(apps|platform|delivery))?\.yaml$/.exec(sub ?? '');
    return m !== null && m[1] !== 'root' && m[1] !== 'bootstrap' && !envs.has(m[1]!);
  };
  return new Map([...tree].filter(([p]) => !other(p)).map(([p, c]) => [`dist/${p}`, c]));
};

/** Argo CD objects of a tree, by kind. */
export function argoObjects(tree: ReadonlyMap<string, string>, kind: string): ApiObject[] {
  return [...tree]
    .filter(([p]) => p.startsWith('dist/argocd/'))
    .map(([, c]) => parse(c) as ApiObject)
    .filter((o) => o.kind === kind);
}

export const reader = (tree: ReadonlyMap<string, string>) => (p: string) => {
  const c = tree.get(p);
  if (c === undefined) throw new Error(`no file ${p}`);
  return c;
};

/**
 * What Argo CD delivers from a tree for `clusters`: the ApplicationSets, the parent Applications
 * they generate, and the child Applications each parent syncs (one list per parent).
 */
export function delivered(tree: ReadonlyMap<string, string>, clusters: readonly ClusterSecret[]) {
  const appsets = argoObjects(tree, 'ApplicationSet');
  const parents = appsets.flatMap((a) => generateApplications(a, clusters, tree, reader(tree)));
  const byParent = new Map(parents.map((p) => [p.metadata.name as string, childApplications(p, tree, reader(tree))]));
  return { appsets, parents, byParent, children: [...byParent.values()].flat() };
}
