/**
 * App of apps, per environment:
 * - one ApplicationSet `<env>` with a cluster generator (Argo CD cluster Secrets labelled
 *   `<clusterLabel>=<env>`, which infra writes) generates ONE parent Application per cluster,
 *   named after the cluster, in project `<env>-delivery`, syncing `dist/argocd/<env>/`;
 * - that directory holds one child Application per component (`dist/<env>/<component>/`), each
 *   with its sync wave derived from the dependencies (argocd/order.ts), its project
 *   (`<env>-platform` or `<env>-apps`, decided by the registry, never by the directory), the
 *   environment's cluster by name as destination, automated sync with prune and self-heal, and
 *   the resources finalizer.
 *
 * The parent is a plain Application syncing plain Application objects, so Argo CD honours the
 * waves: a wave starts once the previous wave's Applications are Healthy (the Application
 * health check the argo-cd component puts in argocd-cm), and pruning or a cascade deletion
 * runs the waves in reverse, each finished before the next. See docs/argocd.md.
 */
import type { Chart } from 'cdk8s';
import { Application } from '../imports/argocd-application-argoproj.io';
import { ApplicationSet } from '../imports/argocd-applicationset-argoproj.io';
import { COMMON_LABELS } from '../lib/component';
import type { Environment } from '../lib/environment';
import type { ApiObject } from '../lib/output';
import { type ComponentKind, type ComponentMetadata, METADATA_FILE, projectName, VALUES_FILE } from './component-metadata';
import type { Ordered } from './order';
import { ARGOCD_DIR, type ArgoConfig, clusterSecretName, revisionFor } from './settings';

/** Retry policy of every Application: rides out transient API errors, never an ordering gap (waves order the install). */
export const RETRY = { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } } as const;

/** Label carrying the component name on child Applications. */
export const COMPONENT_LABEL = 'zt-eks-gitops/component';
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
/** Deleting an Application with it deletes its objects first (foreground cascade). */
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/** The AppProject of an environment's parent Applications: only Application objects, only in Argo CD's namespace. */
export const deliveryProject = (env: Pick<Environment, 'name'>) => `${env.name}-delivery`;

/** Where an environment's child Applications live in the repository. */
export const childrenDir = (env: string) => `${ARGOCD_DIR}/${env}`;

/** Name of a component's Application: cluster, then component (both DNS labels). */
export const childName = (env: Pick<Environment, 'cluster'>, component: string) => `${clusterSecretName(env)}-${component}`;

/** What a child Application needs about one rendered component. */
export interface ChildInput {
  readonly metadata: ComponentMetadata;
  readonly objects: readonly ApiObject[];
  readonly kind: ComponentKind;
  readonly order: Ordered;
}

/**
 * Whether deleting the component would remove Argo CD's own ground: it installs Argo CD (it
 * renders the Application CRD: the argo-cd component) or renders Argo CD's Namespace (the
 * namespaces component). Such a child keeps its objects when deleted (no resources finalizer)
 * and is left in place by a cascade deletion of the parent (`Delete=false`), so tearing an
 * environment down never deletes the controller doing the teardown halfway through.
 */
export function keepsArgoCd(config: ArgoConfig, c: Pick<ChildInput, 'objects'>): boolean {
  return c.objects.some(
    (o) =>
      (o.kind === 'CustomResourceDefinition' && o.metadata.name === APPLICATION_CRD) ||
      (o.kind === 'Namespace' && o.apiVersion === 'v1' && o.metadata.name === config.namespace),
  );
}

/** The CRD whose presence marks a component as Argo CD itself. */
const APPLICATION_CRD = 'applications.argoproj.io';

/** The child Applications of one environment: `dist/argocd/<env>/application.<ns>.<cluster>-<component>.yaml`. */
export function addChildApplications(chart: Chart, config: ArgoConfig, env: Environment, children: readonly ChildInput[]): void {
  for (const c of children) {
    const m = c.metadata;
    const keep = keepsArgoCd(config, c);
    new Application(chart, `child-${env.name}-${m.name}`, {
      metadata: {
        name: childName(env, m.name),
        namespace: config.namespace,
        labels: { ...COMMON_LABELS, [config.clusterLabel]: env.name, [COMPONENT_LABEL]: m.name },
        annotations: { [SYNC_WAVE]: String(c.order.wave), ...(keep ? { [SYNC_OPTIONS]: 'Delete=false' } : {}) },
        ...(keep ? {} : { finalizers: [RESOURCES_FINALIZER] }),
      },
      spec: {
        project: projectName(env, c.kind),
        source: {
          repoUrl: config.repoURL,
          targetRevision: revisionFor(config, env.name),
          path: `dist/${env.name}/${m.name}`,
          directory: { exclude: `{${METADATA_FILE},${VALUES_FILE}}` },
        },
        destination: { name: clusterSecretName(env), namespace: m.namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          retry: { limit: RETRY.limit, backoff: { ...RETRY.backoff } },
          syncOptions: [...m.syncOptions],
        },
        ...(m.ignoreDifferences.length > 0
          ? { ignoreDifferences: m.ignoreDifferences.map((d) => ({ group: d.group, kind: d.kind, jqPathExpressions: [...d.jqPathExpressions] })) }
          : {}),
      },
    });
  }
}

/**
 * The environment's ApplicationSet: one parent Application per labelled cluster. The project
 * is hard-coded (never templated), the destination is the cluster by name (Argo CD runs in
 * every cluster, GitOps Bridge style, so that is where the child Applications belong), and the
 * parent has no PruneLast: pruning must run the waves in reverse, not all at the end.
 */
export function addApplicationSet(chart: Chart, config: ArgoConfig, env: Environment): void {
  new ApplicationSet(chart, `applicationset-${env.name}`, {
    metadata: { name: env.name, namespace: config.namespace, labels: { ...COMMON_LABELS } },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ clusters: { selector: { matchLabels: { [config.clusterLabel]: env.name } } } }],
      // On-call may switch automation off on the parent during an incident without the
      // controller switching it back; the git value applies again once they remove their edit.
      ignoreApplicationDifferences: [{ jsonPointers: ['/spec/syncPolicy/automated'] }],
      template: {
        metadata: {
          name: '{{ .nameNormalized }}',
          labels: { ...COMMON_LABELS, [config.clusterLabel]: env.name },
          finalizers: [RESOURCES_FINALIZER],
        },
        spec: {
          project: deliveryProject(env),
          source: {
            repoUrl: config.repoURL,
            targetRevision: revisionFor(config, env.name),
            path: `dist/${childrenDir(env.name)}`,
            directory: { recurse: false },
          },
          destination: { name: '{{ .name }}', namespace: config.namespace },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            retry: { limit: RETRY.limit, backoff: { ...RETRY.backoff } },
            // Likewise for one child: the parent leaves a hand-paused child's automation alone.
            syncOptions: ['RespectIgnoreDifferences=true'],
          },
          ignoreDifferences: [{ group: 'argoproj.io', kind: 'Application', jsonPointers: ['/spec/syncPolicy/automated'] }],
        },
      },
    },
  });
}
