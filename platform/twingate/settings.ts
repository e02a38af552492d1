/**
 * The `twingate` settings block, shared by the three Twingate components: tenant, connectors,
 * aliases, the access gateway's certificate and where secrets come from. It is resolved once
 * when the environment is validated (defaults that depend on the rest of the environment filled
 * in); renderers and infra read the result through {@link resolveTwingate}. The cross-checks
 * (one line each) are {@link checkTwingate}.
 */
import { z } from 'zod';
import { maybeSettingsOf, type SettingsBlock, settingsOf, type WorkloadRef } from '../../lib/component';
import { type Environment, NAME_LABEL, oneLine, type Problem, type Protocol } from '../../lib/environment';
import { PLATFORM_CA_ISSUER } from '../shared/cert-manager';
import { AWS_SECRET_STORE } from '../shared/external-secrets';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Characters AWS Secrets Manager allows in a secret name. */
const SECRET_PATH = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const show = (value: unknown) => JSON.stringify(value);

const label = z
  .string()
  .refine((s) => s.length <= 63 && DNS_LABEL.test(s), { error: (i) => `${show(i.input)} is not a DNS-1123 label (lowercase letters, digits and "-")` });
const hostname = z.string().refine((s) => s.length <= 253 && s.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l)), {
  error: (i) => `${show(i.input)} is not a DNS name`,
});
const secretPath = z.string().refine((s) => SECRET_PATH.test(s), { error: (i) => `${show(i.input)} is not a Secrets Manager secret name` });

/** How connectors are deployed: TwingateConnector CRs (the operator mints tokens) or the connector Helm chart (tokens from the secret store). */
const CONNECTOR_MODES = ['operator', 'chart'] as const;

const connectors = z.strictObject({
  /** @default "operator" */
  mode: z.enum(CONNECTOR_MODES).default('operator'),
  /**
   * Number of connectors (each is one pod; two or more for HA). Chart connectors are one Helm
   * release with one token pair that infra registers: always 1. @default 1
   */
  replicas: z.number().int().min(1).max(10).default(1),
  /**
   * Peer-to-peer: connectors (in the cluster and the EC2 hosts) may send UDP to any internet
   * address and port, so clients reach them directly instead of through Twingate's relays
   * (lower latency, no relay bandwidth), at the price of an egress rule that opens every UDP
   * port to the internet. Off: every session goes through the relays (TCP 443 and 30000-31000).
   * @default false
   */
  peerToPeer: z.boolean().default(false),
});

const twingateSchema = z.strictObject({
  /** The tenant slug, as in `<network>.twingate.com`. */
  network: label,
  /** Namespace of the operator, gateway, connectors and every Twingate custom resource. @default "twingate" */
  namespace: label.default('twingate'),
  /**
   * The in-cluster connectors, all in the cluster's remote network (infra creates it and hands
   * its id to the operator through a Secret). @default { mode: "operator", replicas: 1 }
   */
  connectors: connectors.prefault({}),
  /** Domain of resource aliases: app `x` gets alias `x.<aliasDomain>`. @default "<cluster.name>.int" */
  aliasDomain: hostname.optional(),
  /** Alias overrides per app name. */
  aliases: z.record(label, hostname).default({}),
  /**
   * Groups this platform creates in Twingate (as TwingateGroup objects, members managed in
   * Twingate). Every other declared group comes from the identity provider: it is referenced by
   * name (`principalExternalRef`) and must already exist in the tenant, so memberships live
   * where people are managed. Opt in per group; `Everyone` and gateway identities never. @default []
   */
  managedGroups: z.array(z.string()).default([]),
  /**
   * Prefix of the Twingate name of every managed group, `<prefix>: <group>`, so environments
   * sharing a tenant cannot collide. The gateway forwards that name, so it is also the group's
   * RBAC subject. @default the environment name
   */
  managedGroupPrefix: oneLine.pipe(z.string().min(1).max(40)).optional(),
  gateway: z
    .strictObject({
      /** Alias of the Kubernetes resource (unique per cluster: clusters share the in-cluster address). @default "kubernetes.<aliasDomain>" */
      alias: hostname.optional(),
      /** Resource name shown in the Twingate client, one line. @default "<cluster.name> Kubernetes API" */
      resourceName: oneLine.pipe(z.string().min(1).max(100)).optional(),
      /** @default 1 */
      replicas: z.number().int().min(1).max(10).default(1),
    })
    .prefault({}),
  /**
   * The gateway's serving certificate, issued by cert-manager. The issuer must be a CA issuer: the
   * Secret needs `ca.crt`. The default is the CA ClusterIssuer the cert-manager component renders.
   */
  certificate: z
    .strictObject({
      /** @default { name: "twingate-gateway-ca" (the cert-manager component's CA issuer), kind: "ClusterIssuer" } */
      issuer: z
        .strictObject({
          name: label,
          /** @default "ClusterIssuer" */
          kind: z.enum(['ClusterIssuer', 'Issuer']).default('ClusterIssuer'),
          /** @default "cert-manager.io" */
          group: hostname.default('cert-manager.io'),
        })
        .default({ name: PLATFORM_CA_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' }),
      /** @default "2160h" (90 days) */
      duration: z
        .string()
        .regex(/^\d+h$/)
        .default('2160h'),
      /** @default "360h" (15 days) */
      renewBefore: z
        .string()
        .regex(/^\d+h$/)
        .default('360h'),
    })
    .prefault({}),
  /** Where the operator's API key, the remote network id and connector tokens come from (External Secrets, AWS Secrets Manager). */
  secrets: z
    .strictObject({
      /** ClusterSecretStore the ExternalSecrets read. @default "aws-secrets-manager" (the one the external-secrets component renders, for aws.region) */
      store: label.default(AWS_SECRET_STORE),
      /** Prefix of the default paths. @default "zt-eks/<env name>/twingate" */
      prefix: secretPath.optional(),
      /** Kubernetes Secret with TWINGATE_API_KEY and TWINGATE_REMOTE_NETWORK_ID. @default "twingate-operator-credentials" */
      operatorSecret: label.default('twingate-operator-credentials'),
      /** Kubernetes Secret with TWINGATE_ACCESS_TOKEN and TWINGATE_REFRESH_TOKEN (chart connectors). @default "twingate-connector-tokens" */
      connectorSecret: label.default('twingate-connector-tokens'),
      /** Plain-string secret holding the API key. @default "<prefix>/api-key" */
      apiKeyPath: secretPath.optional(),
      /** Plain-string secret holding the remote network id. @default "<prefix>/remote-network-id" */
      remoteNetworkIdPath: secretPath.optional(),
      /** JSON secret with keys TWINGATE_ACCESS_TOKEN and TWINGATE_REFRESH_TOKEN. @default "<prefix>/connector-tokens" */
      connectorTokensPath: secretPath.optional(),
    })
    .prefault({}),
});
type TwingateConfig = z.output<typeof twingateSchema>;

// ---------------------------------------------------------------------------------------------
// Workloads and names the charts really produce

const INSTANCE = 'app.kubernetes.io/instance';

/** Helm release names; with `nameOverride` equal to the release, fullname = release name. */
export const OPERATOR_RELEASE = 'twingate-operator';
export const GATEWAY_RELEASE = 'twingate-gateway';
export const CONNECTOR_RELEASE = 'twingate-connector';

/** Operator pods: the chart's selector labels (`<name>` / `<release>`). */
export const OPERATOR_LABELS = { [NAME_LABEL]: OPERATOR_RELEASE, [INSTANCE]: OPERATOR_RELEASE } as const;
/** Gateway pods: the chart's selector labels, with `nameOverride: twingate-gateway`. */
export const GATEWAY_LABELS = { [NAME_LABEL]: GATEWAY_RELEASE, [INSTANCE]: GATEWAY_RELEASE } as const;
/**
 * Pod labels of the Twingate connector, whichever way it is deployed: operator-managed
 * connectors get them through `TwingateConnector.spec.podLabels`, chart connectors through the
 * chart's `nameOverride` (its pods carry `app.kubernetes.io/name: <nameOverride>`).
 */
export const CONNECTOR_LABELS = { [NAME_LABEL]: 'twingate-connector' } as const;
/** The gateway's container ports (chart `containerPorts`). */
export const GATEWAY_PORTS: Readonly<Record<string, { containerPort: number; protocol: Protocol }>> = {
  https: { containerPort: 8443, protocol: 'TCP' },
  metrics: { containerPort: 9090, protocol: 'TCP' },
};

/** Workload names flows use: `<twingate namespace>/connector`, `/operator`, `/gateway`. */
export const WORKLOADS = { connector: 'connector', operator: 'operator', gateway: 'gateway' } as const;

/** Connector pods: the connector chart's in chart mode; created by the operator at run time otherwise. */
export const connectorWorkload = (tg: Pick<ResolvedTwingate, 'namespace' | 'connectors'>): WorkloadRef => ({
  namespace: tg.namespace,
  name: WORKLOADS.connector,
  labels: CONNECTOR_LABELS,
  ports: {},
  ...(tg.connectors.mode === 'operator' ? { modelled: 'the Twingate operator creates connector pods from TwingateConnector objects at run time' } : {}),
});
export const operatorWorkload = (namespace: string): WorkloadRef => ({ namespace, name: WORKLOADS.operator, labels: OPERATOR_LABELS, ports: {} });
export const gatewayWorkload = (namespace: string): WorkloadRef => ({ namespace, name: WORKLOADS.gateway, labels: GATEWAY_LABELS, ports: GATEWAY_PORTS });

/**
 * Where a connector dials out (to the Twingate controller and relays, on the internet only):
 * one fact for the in-cluster connectors' NetworkPolicies and the EC2 connector hosts'
 * security group.
 */
export const CONNECTOR_EGRESS: readonly { readonly port: number; readonly endPort?: number; readonly description: string }[] = [
  { port: 443, description: 'connector to the Twingate controller and relays (TLS)' },
  { port: 30000, endPort: 31000, description: 'connector to Twingate relays' },
];

/** The extra egress of peer-to-peer connectors (`twingate.connectors.peerToPeer`), shared with the EC2 hosts' security group. */
export const CONNECTOR_P2P_EGRESS = {
  protocol: 'UDP',
  port: 1,
  endPort: 65535,
  description: 'connector to Twingate clients directly (peer-to-peer, UDP)',
} as const;

/** The public internet: everything but private and link-local (instance metadata) ranges. */
export const INTERNET = { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'] };

/** Groups Twingate itself provides: never created, referenced by name. */
export const BUILTIN_GROUPS = ['Everyone'] as const;
/** Identities the gateway adds to every request; they exist only for Kubernetes RBAC. */
export const GATEWAY_GROUPS = ['twingate:authenticated', 'twingate:service-accounts'] as const;
/** Groups everybody who signs in belongs to: never bound above `view`. */
const UNIVERSAL_GROUPS = ['Everyone', 'twingate:authenticated'] as const;

/**
 * The name of a declared group in Twingate, which is also the name the gateway forwards (the
 * RBAC Group subject): identity-provider and built-in groups keep their own name; groups this
 * platform creates are scoped to the environment, `<prefix>: <group>`.
 */
export function twingateGroupName(tg: Pick<ResolvedTwingate, 'managedGroups' | 'managedGroupPrefix'>, group: string): string {
  return tg.managedGroups.includes(group) ? `${tg.managedGroupPrefix}: ${group}` : group;
}

/** A Kubernetes object name for a group: `SRE On-Call` -> `sre-on-call`. */
export function groupSlug(group: string): string {
  const slug = group
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return slug || 'group';
}

// ---------------------------------------------------------------------------------------------
// Defaults that depend on the rest of the environment

interface ResolvedTwingate extends Omit<TwingateConfig, 'aliasDomain' | 'secrets' | 'managedGroupPrefix'> {
  readonly aliasDomain: string;
  readonly managedGroupPrefix: string;
  /** In-cluster address of the Kubernetes API server. */
  readonly kubernetesAddress: string;
  readonly gatewayAlias: string;
  readonly kubernetesResourceName: string;
  readonly secrets: Required<TwingateConfig['secrets']>;
}

type TwingateEnv = Pick<Environment, 'name' | 'cluster' | 'aws'>;

function resolve(tg: TwingateConfig, env: TwingateEnv): ResolvedTwingate {
  const aliasDomain = tg.aliasDomain ?? `${env.cluster.name}.int`;
  const prefix = tg.secrets.prefix ?? `zt-eks/${env.name}/twingate`;
  return {
    ...tg,
    aliasDomain,
    managedGroupPrefix: tg.managedGroupPrefix ?? env.name,
    kubernetesAddress: `kubernetes.default.svc.${env.cluster.domain}`,
    gatewayAlias: tg.gateway.alias ?? `kubernetes.${aliasDomain}`,
    kubernetesResourceName: tg.gateway.resourceName ?? `${env.cluster.name} Kubernetes API`,
    secrets: {
      ...tg.secrets,
      prefix,
      apiKeyPath: tg.secrets.apiKeyPath ?? `${prefix}/api-key`,
      remoteNetworkIdPath: tg.secrets.remoteNetworkIdPath ?? `${prefix}/remote-network-id`,
      connectorTokensPath: tg.secrets.connectorTokensPath ?? `${prefix}/connector-tokens`,
    },
  };
}

/** The `twingate` block, resolved when the environment was validated. */
export const twingateSettings: SettingsBlock<typeof twingateSchema, ResolvedTwingate, 'twingate'> = {
  key: 'twingate',
  schema: twingateSchema,
  resolve,
  check: checkTwingate,
};

/** The environment's resolved Twingate settings; only for environments that have the block. */
export function resolveTwingate(env: Environment): ResolvedTwingate {
  return settingsOf(env, twingateSettings);
}

/** The resolved Twingate settings, or undefined when the environment has no `twingate` block. */
export function maybeTwingate(env: Environment): ResolvedTwingate | undefined {
  return maybeSettingsOf(env, twingateSettings);
}

/** In-cluster chart connectors (one token pair each) that infra registers and stores: 0 or 1. */
export function chartConnectorCount(env: Environment): number {
  const tg = maybeTwingate(env);
  return tg?.connectors.mode === 'chart' ? tg.connectors.replicas : 0;
}

/** Apps reached through Twingate: those named by at least one access row, sorted. */
export function exposedApps(env: Pick<Environment, 'access'>): string[] {
  return [...new Set(env.access.flatMap((r) => r.resources))].sort();
}

/** The alias of an app's Twingate resource. */
export function appAlias(tg: ResolvedTwingate, app: string): string {
  return tg.aliases[app] ?? `${app}.${tg.aliasDomain}`;
}

// ---------------------------------------------------------------------------------------------
// Cross-checks

const HOSTNAME_MAX = 253;
const FILE_NAME_MAX = 255;

const ROLE_RANK: Readonly<Record<string, number>> = { view: 0, edit: 1, admin: 2, 'cluster-admin': 3 };

function* checkTwingate(env: Environment): Generator<Problem> {
  const tg = resolveTwingate(env);
  if (!env.namespaces.includes(tg.namespace)) {
    yield { path: 'twingate.namespace', message: `namespace ${show(tg.namespace)} is not declared in namespaces` };
  }
  if (tg.connectors.mode === 'chart' && tg.connectors.replicas !== 1) {
    yield {
      path: 'twingate.connectors.replicas',
      message: 'chart connectors are one Helm release with one token pair; use mode "operator" for several connectors',
    };
  }

  for (const app of Object.keys(tg.aliases)) {
    if (!env.apps[app]) yield { path: `twingate.aliases.${app}`, message: `unknown app ${show(app)}` };
  }
  // The default aliases append to aliasDomain, which may be a long name already.
  if (!tg.gateway.alias && tg.gatewayAlias.length > HOSTNAME_MAX) {
    yield {
      path: 'twingate.aliasDomain',
      message: `the gateway alias kubernetes.<aliasDomain> would have ${tg.gatewayAlias.length} characters (at most ${HOSTNAME_MAX})`,
    };
  }
  for (const app of exposedApps(env)) {
    const alias = appAlias(tg, app);
    if (!tg.aliases[app] && alias.length > HOSTNAME_MAX) {
      yield {
        path: 'twingate.aliasDomain',
        message: `the alias of app ${show(app)}, ${app}.<aliasDomain>, would have ${alias.length} characters (at most ${HOSTNAME_MAX})`,
      };
    }
  }
  const aliasOwners = new Map<string, string>([[tg.gatewayAlias, 'twingate.gateway.alias']]);
  for (const app of exposedApps(env)) {
    const alias = appAlias(tg, app);
    const path = tg.aliases[app] ? `twingate.aliases.${app}` : 'twingate.aliasDomain';
    const owner = aliasOwners.get(alias);
    if (owner) yield { path, message: `alias ${show(alias)} of app ${show(app)} is already used by ${owner}` };
    else aliasOwners.set(alias, `app ${show(app)}`);
  }

  const declared = new Set(env.groups);
  for (const [i, g] of tg.managedGroups.entries()) {
    const path = `twingate.managedGroups[${i}]`;
    if (!declared.has(g)) yield { path, message: `group ${show(g)} is not declared in groups` };
    else if ((BUILTIN_GROUPS as readonly string[]).includes(g)) yield { path, message: `${show(g)} is built into Twingate; it cannot be created` };
    else if ((GATEWAY_GROUPS as readonly string[]).includes(g))
      yield { path, message: `${show(g)} is a gateway identity, not a Twingate group; it cannot be created` };
    else if (g === env.breakGlassGroup)
      yield { path, message: `${show(g)} is the break-glass group; it must come from the identity provider, not from objects the cluster creates` };
    else if (g === env.infra?.bootstrap.twingateGroup)
      yield {
        path,
        message: `${show(g)} is the bootstrap group (infra.bootstrap.twingateGroup); it must come from the identity provider, since it reaches the cluster before the operator runs`,
      };
    else if (tg.managedGroups.indexOf(g) !== i) yield { path, message: `group ${show(g)} is listed twice` };
  }
  const slugs = new Map<string, string>();
  for (const [i, g] of env.groups.entries()) {
    const slug = groupSlug(g);
    const other = slugs.get(slug);
    if (other !== undefined && other !== g)
      yield { path: `groups[${i}]`, message: `${show(g)} and ${show(other)} map to the same Kubernetes name ${show(slug)}` };
    slugs.set(slug, g);
  }
  // TwingateResourceAccess objects are named `<app>.<app namespace>.<group slug>` (access.ts), one file each.
  for (const [i, row] of env.access.entries()) {
    for (const [j, app] of row.resources.entries()) {
      if (!env.apps[app]) continue;
      const length = `twingateresourceaccess.${tg.namespace}.${app}.${env.apps[app].namespace}.${groupSlug(row.group)}.yaml`.length;
      if (length > FILE_NAME_MAX) {
        yield {
          path: `access[${i}].resources[${j}]`,
          message: `names too long: the TwingateResourceAccess file name of this grant would have ${length} characters (at most ${FILE_NAME_MAX}); shorten the app, namespace or group name`,
        };
      }
    }
  }
  for (const [i, row] of env.access.entries()) {
    const universal = (UNIVERSAL_GROUPS as readonly string[]).includes(row.group);
    for (const field of ['kubernetesRole', 'clusterRole'] as const) {
      const role = row[field];
      if (universal && role && ROLE_RANK[role]! > ROLE_RANK.view!) {
        yield {
          path: `access[${i}].${field}`,
          message: `${show(role)} for ${show(row.group)} is above view; everyone who signs in would get it (bind a narrower group)`,
        };
      }
    }
    if ((GATEWAY_GROUPS as readonly string[]).includes(row.group) && row.resources.length > 0) {
      yield { path: `access[${i}].resources`, message: `${show(row.group)} is a gateway identity, not a Twingate group; it can only get a clusterRole` };
    }
  }
  if (env.breakGlassGroup && [...UNIVERSAL_GROUPS, ...GATEWAY_GROUPS].includes(env.breakGlassGroup as never)) {
    yield {
      path: 'breakGlassGroup',
      message: `${show(env.breakGlassGroup)} is a group every signed-in user or service account is in; the break-glass group must be narrow`,
    };
  }
}
