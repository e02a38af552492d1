/**
 * Per-component Argo CD metadata, rendered by synth beside the manifests:
 * `dist/<env>/<component>/component.json` (what its child Application is built from, for reviewers and tools) and,
 * for components that install an upstream chart, `values.yaml` (the values synth rendered the
 * chart with, for review; Argo CD skips it). Everything an Application needs that a folder name cannot carry is here, so
 * the ApplicationSet template stays generic and no list of components exists anywhere.
 */
import type { Component, GroupKind, HelmSource, OperatorField } from '../lib/component';
import type { Environment } from '../lib/environment';
import { groupOf } from '../lib/kinds';
import { type ApiObject, GENERATED_HEADER, type RenderedFile, sortKeys, toYaml } from '../lib/output';

export const METADATA_FILE = 'component.json';
export const VALUES_FILE = 'values.yaml';

/** API groups served by Kubernetes itself; any other group is a custom resource. */
const BUILT_IN_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apps',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
]);

export interface IgnoreDifference {
  readonly group: string;
  readonly kind: string;
  readonly jqPathExpressions: readonly string[];
}

/** The content of `component.json`, under the `component` key (see {@link metadataFiles}). */
export interface ComponentMetadata {
  readonly name: string;
  readonly environment: string;
  /**
   * AppProject: `<env>-platform` or `<env>-apps`. Informational: the ApplicationSet that picks
   * up the directory hard-codes its project, and which ApplicationSet that is depends on the
   * directory's path, never on this field.
   */
  readonly project: string;
  /** Destination namespace of the Application. */
  readonly namespace: string;
  readonly syncOptions: readonly string[];
  readonly ignoreDifferences: readonly IgnoreDifference[];
  /**
   * The upstream chart rendered into this directory at synth time, or null; for reviewers and
   * tools (Argo CD applies the rendered files, never the chart).
   */
  readonly chart: {
    readonly repository: string;
    readonly chart: string;
    readonly version: string;
    readonly releaseName: string;
    /** What the chart's output in this directory was rendered from (synth reuses it while it matches; see lib/synth.ts). */
    readonly renderedFrom?: string;
  } | null;
  /**
   * Upstream CRDs delivered beside the chart (the component's `crds`): their names and what they
   * were read from (the locked digests of their files); synth reuses them while it matches.
   */
  readonly crds?: { readonly names: readonly string[]; readonly renderedFrom: string };
}

/** Platform components (the registry) or apps (the environment's `apps`): each kind has its own AppProject and ApplicationSet. */
export type ComponentKind = 'platform' | 'apps';

/** The kind of a component of an environment: apps are the environment's `apps` (no app may take a platform component's name). */
export function componentKind(env: Pick<Environment, 'apps'>, component: string): ComponentKind {
  return Object.hasOwn(env.apps, component) ? 'apps' : 'platform';
}

/** The AppProject of an environment's components of one kind. */
export function projectName(env: Pick<Environment, 'name'>, kind: ComponentKind): string {
  return `${env.name}-${kind}`;
}

function isCustomResource(obj: Pick<ApiObject, 'apiVersion'>): boolean {
  return !BUILT_IN_GROUPS.has(groupOf(obj.apiVersion));
}

/** Cluster-scoped kinds a component puts in the cluster (its chart's output is among its objects). */
export function clusterKinds(objects: readonly ApiObject[]): GroupKind[] {
  const kinds = new Map<string, GroupKind>();
  for (const o of objects) {
    if (!o.metadata.namespace) kinds.set(`${groupOf(o.apiVersion)}/${o.kind}`, { group: groupOf(o.apiVersion), kind: o.kind });
  }
  return [...kinds.values()];
}

/**
 * The metadata of one rendered component. Rules (each explained in docs/argocd.md):
 * - namespace: `component.namespace(env)`, else the first namespace its objects use, else the
 *   environment's first namespace (objects always carry their namespace, so this only matters
 *   to the AppProject check);
 * - `CreateNamespace=true` only for a namespace the environment does not own: owned namespaces
 *   are Namespace objects of the `namespaces` component, with their Pod Security labels;
 * - `ServerSideApply=true` when the component installs CRDs (large CRDs break client-side apply);
 * - `SkipDryRunOnMissingResource=true` when it renders custom resources whose CRD comes from
 *   another Application (the dry run would fail until that one has synced);
 * - `RespectIgnoreDifferences=true` with the operator-written fields of the kinds it renders.
 */
export function componentMetadata(
  env: Environment,
  component: Component,
  objects: readonly ApiObject[],
  operatorFields: readonly OperatorField[] = [],
  renderedFrom?: string,
  crds?: ComponentMetadata['crds'],
): ComponentMetadata {
  const chart = component.chart;
  const owned = component.namespace?.(env);
  const used = objects
    .map((o) => o.metadata.namespace)
    .filter((n): n is string => !!n)
    .sort();
  const namespace = owned ?? used[0] ?? env.namespaces[0]!;

  const crdGroups = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'CustomResourceDefinition') crdGroups.add(String((o.spec as { group?: string } | undefined)?.group ?? ''));
  }
  const customGroups = new Set(objects.filter(isCustomResource).map((o) => groupOf(o.apiVersion)));
  const kinds = new Set(objects.map((o) => `${groupOf(o.apiVersion)}/${o.kind}`));
  const ignoreDifferences = operatorFields
    .filter((f) => kinds.has(`${f.group}/${f.kind}`) || crdGroups.has(f.group))
    .map((f) => ({
      group: f.group,
      kind: f.kind,
      jqPathExpressions: [...f.jqPathExpressions],
    }));

  const syncOptions = [
    'FailOnSharedResource=true',
    'PruneLast=true',
    ...(owned !== undefined && !env.namespaces.includes(owned) ? ['CreateNamespace=true'] : []),
    ...(crdGroups.size > 0 ? ['ServerSideApply=true'] : []),
    ...([...customGroups].some((g) => !crdGroups.has(g)) ? ['SkipDryRunOnMissingResource=true'] : []),
    ...(ignoreDifferences.length > 0 ? ['RespectIgnoreDifferences=true'] : []),
  ].sort();

  return {
    name: component.name,
    environment: env.name,
    project: projectName(env, componentKind(env, component.name)),
    namespace,
    syncOptions,
    ignoreDifferences,
    chart: chart
      ? {
          repository: chart.repository,
          chart: chart.chart,
          version: env.charts[chart.chart] ?? chart.version,
          releaseName: chart.releaseName,
          ...(renderedFrom ? { renderedFrom } : {}),
        }
      : null,
    ...(crds ? { crds } : {}),
  };
}

/** `component.json` (always) and `values.yaml` (Helm components) for `dir` = `<env>/<component>`. */
export function metadataFiles(dir: string, metadata: ComponentMetadata, helm: HelmSource | undefined): RenderedFile[] {
  const files: RenderedFile[] = [{ path: `${dir}/${METADATA_FILE}`, content: `${JSON.stringify(sortKeys({ component: metadata }), null, 2)}\n` }];
  if (helm) files.push({ path: `${dir}/${VALUES_FILE}`, content: GENERATED_HEADER + toYaml(helm.values) });
  return files;
}
