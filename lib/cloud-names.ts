/**
 * Names that cross the line between the cloud (infra/) and the cluster (charts): Secrets
 * Manager secret names and the service accounts that get AWS roles through Pod Identity. Both
 * layers compute them from the environment with these functions, so the charts never wait for
 * a Pulumi output to know what to reference, and a rename happens in one place.
 */
import type { Environment } from './environment';

type Named = Pick<Environment, 'name'>;

/** Secrets Manager secret names of an environment; all under `<env>/twingate/`. */
export const secretNames = {
  /** JSON `{ TWINGATE_API_KEY, REMOTE_NETWORK_ID }` for the operator (`existingAPIKeySecret`, `existingRemoteNetworkIdSecret`). */
  operator: (env: Named) => `${env.name}/twingate/operator`,
  /** JSON `{ TWINGATE_ACCESS_TOKEN, TWINGATE_REFRESH_TOKEN }` of in-cluster connector `index` (0-based), the connector chart's `existingSecret` keys. */
  clusterConnector: (env: Named, index: number) => `${env.name}/twingate/eks-connector-${index + 1}`,
  /** Same keys, for EC2 connector host `index`; read by the host at boot, never put in user data. */
  ec2Connector: (env: Named, index: number) => `${env.name}/twingate/aws-connector-${index + 1}`,
} as const;

/** The External Secrets Operator controller, the only workload that reads Twingate secrets. */
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = { namespace: 'external-secrets', name: 'external-secrets' } as const;
