/**
 * Names that cross the line between the cloud (infra/) and the cluster (charts): Secrets
 * Manager secret names (the ServiceAccount that gets an AWS role through Pod Identity is
 * `EXTERNAL_SECRETS_SERVICE_ACCOUNT` in platform/shared/external-secrets.ts).
 * Both layers compute them from the environment, so the charts never wait for a Pulumi output
 * to know what to reference, and a rename happens in one place: the environment's
 * `twingate.secrets` (default `zt-eks/<env>/twingate/...`).
 */
import type { Environment } from '../../lib/environment';
import { resolveTwingate } from './settings';

type Named = Environment;

/**
 * The paths the charts' ExternalSecrets read: the environment's `twingate.secrets`, defaults
 * resolved once with the block (infra refuses an environment without one before asking).
 */
const paths = (env: Named) => resolveTwingate(env).secrets;

/** Secrets Manager secret names of an environment. */
export const secretNames = {
  prefix: (env: Named) => paths(env).prefix,
  /** Plain string: the API key the operator uses (Read, Write & Provision). */
  apiKey: (env: Named) => paths(env).apiKeyPath,
  /** Plain string: id of the `eks-network` remote network the operator provisions into. */
  remoteNetworkId: (env: Named) => paths(env).remoteNetworkIdPath,
  /** JSON `{ TWINGATE_ACCESS_TOKEN, TWINGATE_REFRESH_TOKEN }` of in-cluster chart connector `index` (0-based). */
  clusterConnectorTokens: (env: Named, index: number) => `${paths(env).connectorTokensPath}${index === 0 ? '' : `-${index + 1}`}`,
  /** Same keys, for EC2 connector host `index`; only that host reads it, at boot. */
  ec2ConnectorTokens: (env: Named, index: number) => `${paths(env).prefix}/ec2-connector-${index + 1}-tokens`,
} as const;
