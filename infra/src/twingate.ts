/**
 * Twingate cloud objects. Two remote networks, because a connector answers for
 * every resource of its network: `aws-network` holds the EC2 connector hosts that reach VPC
 * addresses such as the private EKS API endpoint; `eks-network` holds the in-cluster
 * connectors that resolve `*.cluster.local`. With one network Twingate may send a cluster DNS
 * name to an EC2 connector, which cannot resolve it.
 */
import * as pulumi from '@pulumi/pulumi';
import * as twingate from '@twingate/pulumi-twingate';
import type { Environment } from '../../lib/environment';
import { chartConnectorCount, maybeTwingate } from '../../platform/twingate/settings';
import type { Context } from './context';

/** Roles whose groups may also reach the API endpoint through the EC2 connectors: `admin` in app namespaces, or the break-glass `clusterRole: 'cluster-admin'`. */
export const API_ENDPOINT_ROLES: readonly string[] = ['admin', 'cluster-admin'];

/** The keys the connector chart's `existingSecret` and the host boot script read. */
type ConnectorTokenValues = { TWINGATE_ACCESS_TOKEN: string; TWINGATE_REFRESH_TOKEN: string };

interface ConnectorTokens {
  readonly connectorName: pulumi.Output<string>;
  /** Secret. */
  readonly tokens: pulumi.Output<ConnectorTokenValues>;
}

interface TwingateObjects {
  readonly provider: twingate.Provider;
  readonly awsNetwork: twingate.TwingateRemoteNetwork;
  readonly eksNetwork: twingate.TwingateRemoteNetwork;
  readonly ec2Connectors: ConnectorTokens[];
  readonly clusterConnectors: ConnectorTokens[];
}

export function buildTwingate(ctx: Context): TwingateObjects {
  const { env, infra } = ctx;
  // The API token comes from TWINGATE_API_TOKEN in the environment of `pulumi up`, never from git.
  const provider = new twingate.Provider(`twingate-${env.name}`, { network: ctx.twingateNetwork });
  const opts = { provider };
  const network = (role: 'aws' | 'eks') =>
    new twingate.TwingateRemoteNetwork(`${role}-network`, { name: `${env.name}-${role}-network`, location: 'AWS' }, opts);
  const awsNetwork = network('aws');
  const eksNetwork = network('eks');

  const connectors = (role: 'aws' | 'eks', remote: twingate.TwingateRemoteNetwork, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const name = `${role}-connector-${i + 1}`;
      const connector = new twingate.TwingateConnector(name, { name: `${env.name}-${name}`, remoteNetworkId: remote.id, statusUpdatesEnabled: true }, opts);
      const tokens = new twingate.TwingateConnectorTokens(name, { connectorId: connector.id }, opts);
      return {
        connectorName: connector.name,
        // The provider marks tokens secret; wrap again so that holds whatever the engine does.
        tokens: pulumi.secret(
          pulumi
            .all([tokens.accessToken, tokens.refreshToken])
            .apply(([a, r]): ConnectorTokenValues => ({ TWINGATE_ACCESS_TOKEN: a, TWINGATE_REFRESH_TOKEN: r })),
        ),
      };
    });

  return {
    provider,
    awsNetwork,
    eksNetwork,
    ec2Connectors: connectors('aws', awsNetwork, infra.connectors.ec2),
    // In-cluster chart connectors (tokens from Secrets Manager); operator connectors get theirs from the operator.
    clusterConnectors: connectors('eks', eksNetwork, chartConnectorCount(env)),
  };
}

/**
 * The groups of the API endpoint: those whose access row grants an admin role, and the
 * bootstrap group (`infra.bootstrap.twingateGroup`, always from the identity provider), split by where
 * they come from. Only identity-provider groups exist before `pulumi up` (the IdP syncs them);
 * groups the platform creates (`twingate.managedGroups`) appear later, when the in-cluster
 * operator reconciles their TwingateGroup, so infra never depends on them: they reach the
 * cluster through the access gateway the operator grants them. The break-glass group is always
 * an identity-provider group (settings refuse to create it).
 */
export function apiEndpointGroups(env: Environment): { readonly identityProvider: string[]; readonly managed: string[] } {
  const managedGroups = new Set(maybeTwingate(env)?.managedGroups ?? []);
  const groups = [
    ...new Set([
      ...env.access
        .filter((row) => [row.kubernetesRole, row.clusterRole].some((r) => r !== undefined && API_ENDPOINT_ROLES.includes(r)))
        .map((row) => row.group),
      // Whoever runs `pnpm bootstrap` reaches the endpoint before anything runs in the cluster.
      ...(env.infra ? [env.infra.bootstrap.twingateGroup] : []),
    ]),
  ];
  return { identityProvider: groups.filter((g) => !managedGroups.has(g)), managed: groups.filter((g) => managedGroups.has(g)) };
}

/**
 * The id of an identity-provider group from a lookup by name. None found is a user error (the
 * group is not synced to the tenant yet), reported on one line without a stack trace.
 */
export function identityProviderGroupId(envName: string, name: string, found: readonly { id: string; name: string }[]): { groupId: string } {
  const exact = found.filter((g) => g.name === name);
  if (exact.length === 0) {
    throw new pulumi.RunError(
      `environment ${envName}: access: Twingate group ${JSON.stringify(name)} not found; it must exist in Twingate (synced from the identity provider) before pulumi up, or be listed in twingate.managedGroups`,
    );
  }
  if (exact.length > 1)
    throw new pulumi.RunError(`environment ${envName}: access: ${exact.length} Twingate groups are named ${JSON.stringify(name)}; expected 1`);
  return { groupId: exact[0]!.id };
}

/**
 * The private API endpoint as a Twingate resource in `aws-network`, HTTPS only, for the
 * identity-provider groups whose access row grants an admin role (break-glass `kubectl` with
 * IAM credentials; everyone else goes through the access gateway the charts render) and the
 * bootstrap group (`pnpm bootstrap` with the bootstrap role). Nothing
 * here waits for an object the cluster creates, so the first `pulumi up` works on a tenant
 * that has only the IdP's groups.
 */
export function exposeApiEndpoint(ctx: Context, tg: TwingateObjects, endpoint: pulumi.Output<string>): twingate.TwingateResource {
  const opts = { provider: tg.provider };
  const accessGroups = apiEndpointGroups(ctx.env).identityProvider.map((name) =>
    twingate.getTwingateGroupsOutput({ name }, opts).groups.apply((found) => identityProviderGroupId(ctx.env.name, name, found)),
  );
  return new twingate.TwingateResource(
    'api-endpoint',
    {
      name: `${ctx.env.name} EKS API (${ctx.env.cluster.name})`,
      address: endpoint.apply((url) => url.replace(/^https:\/\//, '').replace(/\/.*$/, '')),
      remoteNetworkId: tg.awsNetwork.id,
      protocols: { allowIcmp: false, tcp: { policy: 'RESTRICTED', ports: ['443'] }, udp: { policy: 'DENY_ALL' } },
      accessGroups,
    },
    opts,
  );
}
