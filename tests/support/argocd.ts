/** Shared setup of the Argo CD tests: environments, config, clusters, trees. */
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ArgoConfig } from '../../argocd/settings';
import type { Environment } from '../../lib/environment';
import { loadEnvironments, REPO_ROOT } from '../../lib/load';
import { type ApiObject, readTree } from '../../lib/output';
import { type SynthOptions, synthesize } from '../../lib/synth';
import { type ClusterSecret, childApplications, generateApplications } from './argocd-evaluate';

export const loadEnvs = () => loadEnvironments();

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

/** The committed dist/ tree. */
export const realTree = (): Map<string, string> => new Map([...readTree(join(REPO_ROOT, 'dist'))].map(([p, c]) => [`dist/${p}`, c]));

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
