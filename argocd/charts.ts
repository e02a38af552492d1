/**
 * What each pinned upstream chart installs that the AppProject must allow and the sync must
 * handle: cluster-scoped kinds (Helm renders them in the cluster, so synth never sees them) and
 * the API groups of the CRDs it ships. One entry per chart in `CHART_DEFAULTS`; the compiler
 * insists. Sources: /work/shared/research/zt-components.md (chart templates at the pinned versions).
 */
import type { HelmSource } from '../lib/component';
import type { ChartName } from '../lib/environment';

export interface GroupKind {
  /** API group; `""` for the core group. */
  readonly group: string;
  readonly kind: string;
}

export interface ChartFacts {
  /** Cluster-scoped kinds the chart renders (with the values this project sets). */
  readonly clusterKinds: readonly GroupKind[];
  /** API groups of the CustomResourceDefinitions the chart installs. */
  readonly crdGroups: readonly string[];
}

const CRD: GroupKind = { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' };
const CLUSTER_ROLE: GroupKind = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' };
const CLUSTER_ROLE_BINDING: GroupKind = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' };

export const CHARTS: Record<ChartName, ChartFacts> = {
  // Six twingate.com CRDs in crds/, the operator's ClusterRole/Binding, and with the bundled
  // gateway subchart its impersonation ClusterRole/Binding.
  'twingate-operator': { clusterKinds: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING], crdGroups: ['twingate.com'] },
  // The impersonation ClusterRole (users, groups, serviceaccounts) and its binding.
  gateway: { clusterKinds: [CLUSTER_ROLE, CLUSTER_ROLE_BINDING], crdGroups: [] },
  // One Deployment (and a Secret only when tokens are inlined, which this project never does).
  connector: { clusterKinds: [], crdGroups: [] },
};

/** Facts for a component's chart; a chart missing from {@link CHARTS} is a programming error. */
export function chartFacts(helm: HelmSource): ChartFacts {
  const facts = (CHARTS as Record<string, ChartFacts | undefined>)[helm.chart];
  if (!facts) {
    throw new Error(`chart ${JSON.stringify(helm.chart)} has no entry in argocd/charts.ts: declare the cluster-scoped kinds and CRD groups it installs`);
  }
  return facts;
}
