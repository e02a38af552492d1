/**
 * The whole cloud of one environment, from its definition. `index.ts` calls this for the
 * stack's environment; the tests call it for every environment under Pulumi mocks.
 */
import * as pulumi from '@pulumi/pulumi';
import { type ClusterSecret, clusterSecret } from '../../argocd/cluster-secret';
import type { ArgoConfig } from '../../argocd/settings';
import type { Environment } from '../../lib/environment';
import { EXTERNAL_SECRETS_SERVICE_ACCOUNT } from '../../platform/shared/external-secrets';
import { secretNames } from '../../platform/twingate/cloud-names';
import { buildConnectorHosts } from './connector-hosts';
import { createContext } from './context';
import { buildCluster } from './eks';
import { buildLatticeCluster, type LatticeClusterOutputs, type SharedRefs } from './lattice';
import { buildNetwork } from './network';
import { secretsKey, storeSecret } from './secrets';
import { buildTailscale } from './tailscale';
import { buildTwingate, exposeApiEndpoint } from './twingate';
import { buildAppAccess, buildExternalSecretsAccess } from './workload-iam';

interface InfraInputs {
  /**
   * The Twingate API key the operator uses (Read, Write & Provision). Twingate has no API to
   * mint one, so it comes from encrypted stack configuration; it must be a Pulumi secret.
   */
  readonly operatorApiKey: pulumi.Output<string>;
  /** `argocd/config.ts`: the namespace and cluster label of the Argo CD cluster Secret. */
  readonly argo: Pick<ArgoConfig, 'namespace' | 'clusterLabel'>;
  /**
   * Every loaded environment: a VPC Lattice cluster's caller roles read the views of the other
   * clusters of its environment, where the routes they call live. @default [env]
   */
  readonly environments?: readonly Environment[];
  /** A VPC Lattice unit's shared stack outputs, read and checked first (`readLatticeShared`). @default undefined */
  readonly latticeShared?: SharedRefs;
}

interface SecretRef {
  readonly name: string;
  readonly arn: pulumi.Output<string>;
}

/** Stack outputs, in the shape the charts and the bootstrap consume. None is secret. */
interface InfraOutputs {
  readonly environment: string;
  readonly region: string;
  readonly cluster: { name: pulumi.Output<string>; endpoint: pulumi.Output<string>; arn: pulumi.Output<string>; version: string };
  readonly network: {
    vpcId: pulumi.Output<string>;
    vpcCidr: string;
    podCidr: string;
    serviceCidr: string;
    zones: pulumi.Output<string>[];
    privateSubnetIds: pulumi.Output<string>[];
  };
  readonly roles: { externalSecrets: pulumi.Output<string>; nodes: pulumi.Output<string>; apps: Record<string, pulumi.Output<string>> };
  readonly secrets: { apiKey: SecretRef; remoteNetworkId: SecretRef; clusterConnectors: SecretRef[]; ec2Connectors: SecretRef[] };
  readonly twingate: {
    network: string;
    awsNetworkId: pulumi.Output<string>;
    eksNetworkId: pulumi.Output<string>;
    apiEndpointResourceId: pulumi.Output<string>;
  };
  /** Environments with the tailscale-operator component: the tailnet policy and where the operator's OAuth client is stored. */
  readonly tailscale: { policyId: pulumi.Output<string>; oauthClient: SecretRef } | null;
  readonly connectorHostIds: pulumi.Output<string>[];
  /** Who runs `pnpm bootstrap`: the role with an access entry, the Twingate group and the resource through which it reaches the endpoint. */
  readonly bootstrap: { roleArn: string; twingateGroup: string; twingateResource: pulumi.Output<string> };
  /** The Argo CD cluster Secret `pnpm bootstrap` applies (argocd/cluster-secret.ts). */
  readonly argocdClusterSecret: pulumi.Output<ClusterSecret>;
  /** Units of a multi-cluster environment with a `vpcLattice` view: their VPC Lattice objects (src/lattice.ts), else null. */
  readonly lattice: LatticeClusterOutputs | null;
}

export function buildInfra(env: Environment, inputs: InfraInputs): InfraOutputs {
  const ctx = createContext(env);
  const net = buildNetwork(ctx);
  const key = secretsKey(ctx);
  const tg = buildTwingate(ctx);

  const apiKey = storeSecret(ctx, key, 'twingate-api-key', secretNames.apiKey(env), 'Twingate operator API key', pulumi.secret(inputs.operatorApiKey));
  const remoteNetworkId = storeSecret(
    ctx,
    key,
    'twingate-remote-network-id',
    secretNames.remoteNetworkId(env),
    'Remote network the operator provisions into (eks-network)',
    tg.eksNetwork.id,
  );
  const clusterConnectors = tg.clusterConnectors.map((c, i) =>
    storeSecret(
      ctx,
      key,
      `eks-connector-${i + 1}`,
      secretNames.clusterConnectorTokens(env, i),
      'Tokens of an in-cluster Twingate connector (eks-network)',
      c.tokens,
    ),
  );
  const ec2Connectors = tg.ec2Connectors.map((c, i) =>
    storeSecret(ctx, key, `aws-connector-${i + 1}`, secretNames.ec2ConnectorTokens(env, i), 'Tokens of an EC2 Twingate connector host (aws-network)', c.tokens),
  );

  const ts = buildTailscale(env);
  const tsOauth =
    ts && storeSecret(ctx, key, 'tailscale-oauth-client', ts.oauthClientPath, 'Tailscale operator OAuth client (client_id, client_secret)', ts.oauthValues);

  const { cluster, nodeRole } = buildCluster(ctx, net);
  const hosts = buildConnectorHosts(ctx, net, ec2Connectors, key);
  const apiEndpoint = exposeApiEndpoint(ctx, tg, cluster.endpoint);
  const esoRole = buildExternalSecretsAccess(ctx, cluster, [apiKey, remoteNetworkId, ...clusterConnectors, ...(tsOauth ? [tsOauth] : [])], key);
  const appRoles = buildAppAccess(ctx, cluster);
  const lattice = buildLatticeCluster(ctx, cluster, net, inputs.environments ?? [env], inputs.latticeShared) ?? null;

  const argocdClusterSecret = pulumi.all([cluster.name, cluster.arn, net.vpc.id, esoRole.arn]).apply(([clusterName, arn, vpcId, externalSecretsRoleArn]) =>
    clusterSecret(inputs.argo, {
      environment: env.name,
      clusterName,
      // arn:<partition>:eks:<region>:<account>:cluster/<name>
      accountId: arn.split(':')[4] ?? '',
      region: env.aws.region,
      vpcId,
      externalSecrets: {
        namespace: EXTERNAL_SECRETS_SERVICE_ACCOUNT.namespace,
        serviceAccount: EXTERNAL_SECRETS_SERVICE_ACCOUNT.name,
        roleArn: externalSecretsRoleArn,
      },
    }),
  );

  const ref = (s: { name: string; secret: { arn: pulumi.Output<string> } }): SecretRef => ({ name: s.name, arn: s.secret.arn });
  return {
    environment: env.name,
    region: env.aws.region,
    cluster: { name: cluster.name, endpoint: cluster.endpoint, arn: cluster.arn, version: env.cluster.kubernetesVersion },
    network: {
      vpcId: net.vpc.id,
      vpcCidr: env.network.vpcCidr,
      podCidr: env.network.podCidr,
      serviceCidr: env.network.serviceCidr,
      zones: net.zones,
      privateSubnetIds: net.privateSubnets.map((s) => s.id),
    },
    roles: { externalSecrets: esoRole.arn, nodes: nodeRole.arn, apps: Object.fromEntries(Object.entries(appRoles).map(([app, r]) => [app, r.arn])) },
    secrets: {
      apiKey: ref(apiKey),
      remoteNetworkId: ref(remoteNetworkId),
      clusterConnectors: clusterConnectors.map(ref),
      ec2Connectors: ec2Connectors.map(ref),
    },
    twingate: { network: ctx.twingateNetwork, awsNetworkId: tg.awsNetwork.id, eksNetworkId: tg.eksNetwork.id, apiEndpointResourceId: apiEndpoint.id },
    tailscale: ts && tsOauth ? { policyId: ts.policy.id, oauthClient: ref(tsOauth) } : null,
    connectorHostIds: hosts.map((h) => h.id),
    bootstrap: { roleArn: ctx.infra.bootstrap.roleArn, twingateGroup: ctx.infra.bootstrap.twingateGroup, twingateResource: apiEndpoint.name },
    argocdClusterSecret,
    lattice,
  };
}
