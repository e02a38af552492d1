/**
 * Which kinds are cluster-scoped. Helm leaves `metadata.namespace` out of most namespaced
 * objects (the client fills in the release namespace when it applies them); dist/ must carry it,
 * since file names, the AppProject, the reference checks and the reachability proof read it.
 */
import type { ApiObject } from './output';

/** Cluster-scoped kinds served by Kubernetes itself, as `group/kind` (core group: `/kind`). */
const BUILT_IN_CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'certificates.k8s.io/CertificateSigningRequest',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/VolumeAttachment',
]);

/** The API group of an `apiVersion` (`""` for the core group). */
export const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

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
