/**
 * Bootstrap: the `bootstrap` AppProject and the root Application (app of ApplicationSets) that
 * syncs `dist/argocd/` (not its per-environment subdirectories, which the parent Applications
 * sync) into Argo CD's own namespace. Applied once by the bootstrap; from then on the root
 * manages itself, the projects and the ApplicationSets from git.
 */
import type { Chart } from 'cdk8s';
import { Application } from '../imports/argocd-application-argoproj.io';
import { AppProject } from '../imports/argocd-appproject-argoproj.io';
import { COMMON_LABELS } from '../lib/component';
import { RETRY } from './applicationset';
import { ARGOCD_DIR, type ArgoConfig } from './settings';

export const BOOTSTRAP_PROJECT = 'bootstrap';
export const ROOT_APPLICATION = 'root';
/** The cluster Argo CD runs in, as Argo CD names it. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/** Only Argo CD's own kinds, only in Argo CD's namespace: nothing cluster-scoped. */
const BOOTSTRAP_KINDS = ['AppProject', 'Application', 'ApplicationSet'].map((kind) => ({ group: 'argoproj.io', kind }));

export function addBootstrap(chart: Chart, config: ArgoConfig): void {
  const labels = { ...COMMON_LABELS };
  new AppProject(chart, 'project-bootstrap', {
    metadata: { name: BOOTSTRAP_PROJECT, namespace: config.namespace, labels },
    spec: {
      description: 'Argo CD objects of this repository (dist/argocd): AppProjects, ApplicationSets, the root Application. Admin only.',
      sourceRepos: [config.repoURL],
      destinations: [{ server: IN_CLUSTER, namespace: config.namespace }],
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: BOOTSTRAP_KINDS,
    },
  });
  new Application(chart, 'root', {
    metadata: { name: ROOT_APPLICATION, namespace: config.namespace, labels },
    spec: {
      project: BOOTSTRAP_PROJECT,
      source: { repoUrl: config.repoURL, targetRevision: config.targetRevision, path: `dist/${ARGOCD_DIR}` },
      destination: { server: IN_CLUSTER, namespace: config.namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        retry: { limit: RETRY.limit, backoff: { ...RETRY.backoff } },
        syncOptions: ['PruneLast=true'],
      },
    },
  });
}
