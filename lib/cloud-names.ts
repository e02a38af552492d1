/**
 * Names that cross the line between the cloud (infra/) and the cluster (charts): Secrets
 * Manager secret names and the service account that gets an AWS role through Pod Identity.
 * Both layers compute them from the environment, so the charts never wait for a Pulumi output
 * to know what to reference, and a rename happens in one place. The paths follow the Twingate
 * charts' defaults (`zt-eks/<env>/twingate/...`).
 */
import type { Environment } from './environment';

type Named = Pick<Environment, 'name'>;

const prefix = (env: Named) => `zt-eks/${env.name}/twingate`;

/** Secrets Manager secret names of an environment. */
export const secretNames = {
  prefix,
  /** Plain string: the API key the operator uses (Read, Write & Provision). */
  apiKey: (env: Named) => `${prefix(env)}/api-key`,
  /** Plain string: id of the `eks-network` remote network the operator provisions into. */
  remoteNetworkId: (env: Named) => `${prefix(env)}/remote-network-id`,
  /** JSON `{ TWINGATE_ACCESS_TOKEN, TWINGATE_REFRESH_TOKEN }` of in-cluster chart connector `index` (0-based). */
  clusterConnectorTokens: (env: Named, index: number) => `${prefix(env)}/connector-tokens${index === 0 ? '' : `-${index + 1}`}`,
  /** Same keys, for EC2 connector host `index`; only that host reads it, at boot. */
  ec2ConnectorTokens: (env: Named, index: number) => `${prefix(env)}/ec2-connector-${index + 1}-tokens`,
} as const;

/** The External Secrets Operator controller, the only workload that reads Twingate secrets. */
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = { namespace: 'external-secrets', name: 'external-secrets' } as const;
