/**
 * Value shapes several upstream charts share (cert-manager, External Secrets): what each of their
 * Deployments gets, so the two components cannot drift apart on replicas, disruption budgets and
 * bounded resources.
 */

/** Requests and limits of one container, ephemeral storage included. */
export interface ChartResources {
  readonly requests: { readonly cpu: string; readonly memory: string; readonly 'ephemeral-storage': string };
  readonly limits: { readonly cpu: string; readonly memory: string; readonly 'ephemeral-storage': string };
}

/** What every Deployment of such a chart gets: replicas spread over nodes, a PodDisruptionBudget, bounded resources. */
export interface ReplicatedDeploymentValues {
  readonly replicaCount: number;
  readonly podDisruptionBudget: { readonly enabled: true; readonly minAvailable: 1 };
  readonly resources: ChartResources;
  readonly affinity: object;
  /** kube-score wants a user and group above 10000 (the charts pin 1000 otherwise). */
  readonly securityContext: object;
}
