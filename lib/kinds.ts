/**
 * Which kinds are cluster-scoped. Helm leaves `metadata.namespace` out of most namespaced
 * objects (the client fills in the release namespace when it applies them); dist/ must carry it,
 * since file names, the AppProject, the reference checks and the reachability proof read it.
 */
import type { ApiObject } from './output';

/** The API group of an `apiVersion` (`""` for the core group). */
export const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/**
 * Built-in API versions with the kinds they serve, and the minor versions serving them
 * (`since` inclusive, `until` exclusive; the Kubernetes deprecation guide). Only versions on by
 * default are listed: EKS enables no alpha API and no beta API that is off upstream. The one
 * table of built-in kinds: scope, what a version serves, what a group serves all derive from it.
 */
export interface BuiltInApi {
  readonly apiVersion: string;
  readonly kinds: readonly string[];
  /** Kinds of `kinds` that are cluster-scoped. @default none */
  readonly clusterScoped?: readonly string[];
  readonly since?: number;
  readonly until?: number;
}

export const BUILT_IN_APIS: readonly BuiltInApi[] = [
  {
    apiVersion: 'v1',
    kinds: [
      'Binding',
      'ComponentStatus',
      'ConfigMap',
      'Endpoints',
      'Event',
      'LimitRange',
      'Namespace',
      'Node',
      'PersistentVolume',
      'PersistentVolumeClaim',
      'Pod',
      'PodTemplate',
      'ReplicationController',
      'ResourceQuota',
      'Secret',
      'Service',
      'ServiceAccount',
    ],
    clusterScoped: ['ComponentStatus', 'Namespace', 'Node', 'PersistentVolume'],
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    clusterScoped: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kinds: ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'],
    clusterScoped: ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'],
    since: 30,
  },
  { apiVersion: 'apiextensions.k8s.io/v1', kinds: ['CustomResourceDefinition'], clusterScoped: ['CustomResourceDefinition'] },
  { apiVersion: 'apiregistration.k8s.io/v1', kinds: ['APIService'], clusterScoped: ['APIService'] },
  { apiVersion: 'apps/v1', kinds: ['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'] },
  { apiVersion: 'authentication.k8s.io/v1', kinds: ['TokenReview'], clusterScoped: ['TokenReview'] },
  { apiVersion: 'authentication.k8s.io/v1', kinds: ['SelfSubjectReview'], clusterScoped: ['SelfSubjectReview'], since: 28 },
  {
    apiVersion: 'authorization.k8s.io/v1',
    kinds: ['LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview'],
    clusterScoped: ['SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview'],
  },
  { apiVersion: 'autoscaling/v1', kinds: ['HorizontalPodAutoscaler'] },
  { apiVersion: 'autoscaling/v2', kinds: ['HorizontalPodAutoscaler'] },
  { apiVersion: 'autoscaling/v2beta2', kinds: ['HorizontalPodAutoscaler'], until: 26 },
  { apiVersion: 'batch/v1', kinds: ['CronJob', 'Job'] },
  { apiVersion: 'certificates.k8s.io/v1', kinds: ['CertificateSigningRequest'], clusterScoped: ['CertificateSigningRequest'] },
  { apiVersion: 'coordination.k8s.io/v1', kinds: ['Lease'] },
  { apiVersion: 'discovery.k8s.io/v1', kinds: ['EndpointSlice'] },
  { apiVersion: 'events.k8s.io/v1', kinds: ['Event'] },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kinds: ['FlowSchema', 'PriorityLevelConfiguration'],
    clusterScoped: ['FlowSchema', 'PriorityLevelConfiguration'],
    since: 29,
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3',
    kinds: ['FlowSchema', 'PriorityLevelConfiguration'],
    clusterScoped: ['FlowSchema', 'PriorityLevelConfiguration'],
    since: 26,
    until: 32,
  },
  { apiVersion: 'networking.k8s.io/v1', kinds: ['Ingress', 'IngressClass', 'NetworkPolicy'], clusterScoped: ['IngressClass'] },
  { apiVersion: 'networking.k8s.io/v1', kinds: ['IPAddress', 'ServiceCIDR'], clusterScoped: ['IPAddress', 'ServiceCIDR'], since: 33 },
  { apiVersion: 'node.k8s.io/v1', kinds: ['RuntimeClass'], clusterScoped: ['RuntimeClass'] },
  { apiVersion: 'policy/v1', kinds: ['PodDisruptionBudget'] },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    clusterScoped: ['ClusterRole', 'ClusterRoleBinding'],
  },
  { apiVersion: 'scheduling.k8s.io/v1', kinds: ['PriorityClass'], clusterScoped: ['PriorityClass'] },
  {
    apiVersion: 'storage.k8s.io/v1',
    kinds: ['CSIDriver', 'CSINode', 'CSIStorageCapacity', 'StorageClass', 'VolumeAttachment'],
    clusterScoped: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
  },
];

/** Cluster-scoped built-in kinds, as `group/kind` (core group: `/kind`). */
const BUILT_IN_CLUSTER_SCOPED = new Set(BUILT_IN_APIS.flatMap((a) => (a.clusterScoped ?? []).map((k) => `${groupOf(a.apiVersion)}/${k}`)));

/** Every kind a built-in group serves in any listed version, sorted; undefined for a group Kubernetes does not own. */
export function servedKinds(group: string): readonly string[] | undefined {
  const kinds = BUILT_IN_APIS.filter((a) => groupOf(a.apiVersion) === group).flatMap((a) => a.kinds);
  return kinds.length > 0 ? [...new Set(kinds)].sort() : undefined;
}

/** `group/kind` of every cluster-scoped custom kind that the given CRDs define. */
export function clusterScopedCustomKinds(objects: readonly ApiObject[]): Set<string> {
  const kinds = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = o.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
    if (spec?.scope === 'Cluster' && spec.group && spec.names?.kind) kinds.add(`${spec.group}/${spec.names.kind}`);
  }
  return kinds;
}

/** Whether an object is cluster-scoped, given the cluster-scoped custom kinds known. */
export function isClusterScoped(o: Pick<ApiObject, 'apiVersion' | 'kind'>, customClusterKinds: ReadonlySet<string> = new Set()): boolean {
  const key = `${groupOf(o.apiVersion)}/${o.kind}`;
  return BUILT_IN_CLUSTER_SCOPED.has(key) || customClusterKinds.has(key);
}

/** The object with `metadata.namespace` set to `namespace` when it is namespaced and has none. */
export function withNamespace<T extends ApiObject>(o: T, namespace: string, customClusterKinds: ReadonlySet<string>): T {
  if (o.metadata.namespace || isClusterScoped(o, customClusterKinds)) return o;
  return { ...o, metadata: { ...o.metadata, namespace } };
}
