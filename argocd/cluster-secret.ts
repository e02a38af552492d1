/**
 * The Argo CD cluster Secret of an environment's own cluster: how Argo CD, running inside the
 * environment's EKS cluster, names that cluster and which environment it serves. As the GitOps
 * Bridge does, infra builds it from what it created (a Pulumi stack output) and the bootstrap
 * applies it; the ApplicationSets' cluster generators select it by `<clusterLabel>=<env>` and
 * their Applications target it by name, so neither name nor label is typed twice.
 *
 * It holds no secret value: for the in-cluster server Argo CD uses its own ServiceAccount
 * token, so `config` carries no bearer token and no AWS auth.
 */
import { IN_CLUSTER } from './bootstrap';
import type { ArgoConfig } from './settings';

/** The label by which Argo CD recognises a cluster Secret. */
export const CLUSTER_SECRET_TYPE = { 'argocd.argoproj.io/secret-type': 'cluster' } as const;

/** What infra knows about the cluster; plain strings (Pulumi resolves its outputs first). */
export interface ClusterFacts {
  /** Environment name: the value of the cluster label. */
  readonly environment: string;
  /** The EKS cluster name (`cluster.name` of the environment); Argo CD's name for the cluster. */
  readonly clusterName: string;
  readonly accountId: string;
  readonly region: string;
  readonly vpcId: string;
  /** External Secrets: the ServiceAccount infra's Pod Identity association names, and its role. */
  readonly externalSecrets: { readonly namespace: string; readonly serviceAccount: string; readonly roleArn: string };
}

/**
 * Annotations an ApplicationSet template can read as `{{ .metadata.annotations.<key> }}`:
 * GitOps Bridge names (snake case, no prefix, so Go templates need no `index`).
 */
function annotations(facts: ClusterFacts): Record<string, string> {
  return {
    aws_account_id: facts.accountId,
    aws_cluster_name: facts.clusterName,
    aws_region: facts.region,
    aws_vpc_id: facts.vpcId,
    external_secrets_iam_role_arn: facts.externalSecrets.roleArn,
    external_secrets_namespace: facts.externalSecrets.namespace,
    external_secrets_service_account: facts.externalSecrets.serviceAccount,
  };
}

/** The Secret object, keys sorted, ready for `kubectl apply`. */
export function clusterSecret(config: Pick<ArgoConfig, 'namespace' | 'clusterLabel'>, facts: ClusterFacts) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      annotations: annotations(facts),
      labels: { ...CLUSTER_SECRET_TYPE, [config.clusterLabel]: facts.environment },
      name: facts.clusterName,
      namespace: config.namespace,
    },
    stringData: {
      // Verify the API server's certificate; Argo CD's in-cluster default, spelled out.
      config: JSON.stringify({ tlsClientConfig: { insecure: false } }),
      name: facts.clusterName,
      server: IN_CLUSTER,
    },
    type: 'Opaque',
  };
}

export type ClusterSecret = ReturnType<typeof clusterSecret>;
