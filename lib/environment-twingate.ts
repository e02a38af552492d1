/**
 * The `twingate` block of an environment: tenant, connectors, aliases, the access gateway's
 * certificate and where secrets come from. The schema is one field of the environment schema;
 * {@link resolveTwingate} fills the defaults that depend on the rest of the environment, and
 * {@link checkTwingate} holds the cross-checks (one line each).
 *
 * Only types are imported from `./environment` (which imports this file), so there is no
 * runtime import cycle.
 */
import { z } from 'zod';
import type { Environment, Problem, Protocol, WorkloadRef } from './environment';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
/** Characters AWS Secrets Manager allows in a secret name. */
const SECRET_PATH = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const show = (value: unknown) => JSON.stringify(value);

const label = z
  .string()
  .refine((s) => s.length <= 63 && DNS_LABEL.test(s), { error: (i) => `${show(i.input)} is not a DNS-1123 label (lowercase letters, digits and "-")` });
const hostname = z
  .string()
  .refine((s) => s.length <= 253 && s.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l)), {
    error: (i) => `${show(i.input)} is not a DNS name`,
  });
const secretPath = z.string().refine((s) => SECRET_PATH.test(s), { error: (i) => `${show(i.input)} is not a Secrets Manager secret name` });
const region = z.string().refine((s) => AWS_REGION.test(s), { error: (i) => `${show(i.input)} is not an AWS region` });

/** How connectors are deployed: TwingateConnector CRs (the operator mints tokens) or the connector Helm chart (tokens from the secret store). */
export const CONNECTOR_MODES = ['operator', 'chart'] as const;
export type ConnectorMode = (typeof CONNECTOR_MODES)[number];

const connectorSet = z.strictObject({
  /** Remote network these connectors join. @default the environment's `twingate.remoteNetwork` */
  remoteNetwork: label.optional(),
  /** @default "operator" */
  mode: z.enum(CONNECTOR_MODES).default('operator'),
  /** Number of connectors (each is one pod; two or more for HA). @default 1 */
  replicas: z.number().int().min(1).max(10).default(1),
});

export const twingateSchema = z.strictObject({
  /** The tenant slug, as in `<network>.twingate.com`. */
  network: label,
  /** Namespace of the operator, gateway, connectors and every Twingate custom resource. @default "twingate" */
  namespace: label.default('twingate'),
  /**
   * Name of the remote network the operator (and its resources) live in. Its id reaches the
   * operator through a Secret; the name is what connector sets refer to. @default cluster.name
   */
  remoteNetwork: label.optional(),
  /** Connector sets, at most one mode per remote network. @default [{ mode: "operator", replicas: 1 }] */
  connectors: z.array(connectorSet).min(1).default([{ mode: 'operator', replicas: 1 }]),
  /** Domain of resource aliases: app `x` gets alias `x.<aliasDomain>`. @default "<cluster.name>.int" */
  aliasDomain: hostname.optional(),
  /** Alias overrides per app name. */
  aliases: z.record(label, hostname).default({}),
  /**
   * Groups synced from the identity provider: referenced by name (`principalExternalRef`),
   * never created. Other declared groups are created as TwingateGroups. `Everyone` always
   * counts as external.
   */
  idpGroups: z.array(z.string()).default([]),
  gateway: z
    .strictObject({
      /** Alias of the Kubernetes resource (unique per cluster: clusters share the in-cluster address). @default "kubernetes.<aliasDomain>" */
      alias: hostname.optional(),
      /** Resource name shown in the Twingate client. @default "<cluster.name> Kubernetes API" */
      resourceName: z.string().min(1).max(100).optional(),
      /** @default 1 */
      replicas: z.number().int().min(1).max(10).default(1),
    })
    .prefault({}),
  /** The gateway's serving certificate, issued by cert-manager. The issuer must be a CA issuer: the Secret needs `ca.crt`. */
  certificate: z
    .strictObject({
      /** @default { name: "twingate-gateway-ca", kind: "ClusterIssuer" } */
      issuer: z
        .strictObject({
          name: label,
          /** @default "ClusterIssuer" */
          kind: z.enum(['ClusterIssuer', 'Issuer']).default('ClusterIssuer'),
          /** @default "cert-manager.io" */
          group: hostname.default('cert-manager.io'),
        })
        .default({ name: 'twingate-gateway-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' }),
      /** @default "2160h" (90 days) */
      duration: z.string().regex(/^\d+h$/).default('2160h'),
      /** @default "360h" (15 days) */
      renewBefore: z.string().regex(/^\d+h$/).default('360h'),
    })
    .prefault({}),
  /** Where the operator's API key, the remote network id and connector tokens come from (External Secrets, AWS Secrets Manager). */
  secrets: z
    .strictObject({
      /** ClusterSecretStore name. @default "aws-secrets-manager" */
      store: label.default('aws-secrets-manager'),
      /** @default aws.region */
      region: region.optional(),
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
export type TwingateInput = z.input<typeof twingateSchema>;
export type TwingateConfig = z.output<typeof twingateSchema>;

// ---------------------------------------------------------------------------------------------
// Workloads and names the charts really produce

const NAME = 'app.kubernetes.io/name';
const INSTANCE = 'app.kubernetes.io/instance';

/** Helm release names; with `nameOverride` equal to the release, fullname = release name. */
export const OPERATOR_RELEASE = 'twingate-operator';
export const GATEWAY_RELEASE = 'twingate-gateway';
export const CONNECTOR_RELEASE = 'twingate-connector';

/** Operator pods: the chart's selector labels (`<name>` / `<release>`). */
export const OPERATOR_LABELS = { [NAME]: OPERATOR_RELEASE, [INSTANCE]: OPERATOR_RELEASE } as const;
/** Gateway pods: the chart's selector labels, with `nameOverride: twingate-gateway`. */
export const GATEWAY_LABELS = { [NAME]: GATEWAY_RELEASE, [INSTANCE]: GATEWAY_RELEASE } as const;
/** The gateway's container ports (chart `containerPorts`). */
export const GATEWAY_PORTS: Readonly<Record<string, { containerPort: number; protocol: Protocol }>> = {
  https: { containerPort: 8443, protocol: 'TCP' },
  metrics: { containerPort: 9090, protocol: 'TCP' },
};

/** The operator and the gateway as workloads flows can name (the connector is declared next to CONNECTOR_LABELS). */
export function twingateWorkloads(namespace: string): WorkloadRef[] {
  return [
    { namespace, name: 'operator', labels: OPERATOR_LABELS, ports: {} },
    { namespace, name: 'gateway', labels: GATEWAY_LABELS, ports: GATEWAY_PORTS },
  ];
}

/** Groups Twingate itself provides: never created, referenced by name. */
export const BUILTIN_GROUPS = ['Everyone'] as const;
/** Identities the gateway adds to every request; they exist only for Kubernetes RBAC. */
export const GATEWAY_GROUPS = ['twingate:authenticated', 'twingate:service-accounts'] as const;
/** Groups everybody who signs in belongs to: never bound above `view`. */
export const UNIVERSAL_GROUPS = ['Everyone', 'twingate:authenticated'] as const;

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

export interface ResolvedConnectorSet {
  readonly remoteNetwork: string;
  readonly mode: ConnectorMode;
  readonly replicas: number;
}

export interface ResolvedTwingate extends Omit<TwingateConfig, 'connectors' | 'remoteNetwork' | 'aliasDomain' | 'secrets'> {
  readonly remoteNetwork: string;
  readonly connectors: readonly ResolvedConnectorSet[];
  readonly aliasDomain: string;
  /** In-cluster address of the Kubernetes API server. */
  readonly kubernetesAddress: string;
  readonly gatewayAlias: string;
  readonly kubernetesResourceName: string;
  readonly secrets: Required<TwingateConfig['secrets']>;
}

type TwingateEnv = Pick<Environment, 'name' | 'cluster' | 'aws' | 'twingate'>;

export function resolveTwingate(env: TwingateEnv): ResolvedTwingate {
  const tg = env.twingate;
  if (!tg) throw new Error(`internal: environment ${env.name} has no twingate block`);
  const remoteNetwork = tg.remoteNetwork ?? env.cluster.name;
  const aliasDomain = tg.aliasDomain ?? `${env.cluster.name}.int`;
  const prefix = tg.secrets.prefix ?? `zt-eks/${env.name}/twingate`;
  return {
    ...tg,
    remoteNetwork,
    connectors: tg.connectors.map((c) => ({ remoteNetwork: c.remoteNetwork ?? remoteNetwork, mode: c.mode, replicas: c.replicas })),
    aliasDomain,
    kubernetesAddress: `kubernetes.default.svc.${env.cluster.domain}`,
    gatewayAlias: tg.gateway.alias ?? `kubernetes.${aliasDomain}`,
    kubernetesResourceName: tg.gateway.resourceName ?? `${env.cluster.name} Kubernetes API`,
    secrets: {
      ...tg.secrets,
      region: tg.secrets.region ?? env.aws.region,
      prefix,
      apiKeyPath: tg.secrets.apiKeyPath ?? `${prefix}/api-key`,
      remoteNetworkIdPath: tg.secrets.remoteNetworkIdPath ?? `${prefix}/remote-network-id`,
      connectorTokensPath: tg.secrets.connectorTokensPath ?? `${prefix}/connector-tokens`,
    },
  };
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

const TWINGATE_COMPONENTS = ['twingate-operator', 'twingate-access-gateway', 'twingate-connector'];
const ROLE_RANK: Readonly<Record<string, number>> = { view: 0, edit: 1, admin: 2, 'cluster-admin': 3 };

export function* checkTwingate(env: Environment): Generator<Problem> {
  const components: readonly string[] = env.components;
  if (!env.twingate) {
    const i = components.findIndex((c) => TWINGATE_COMPONENTS.includes(c));
    if (i >= 0) yield { path: `components[${i}]`, message: `${show(components[i])} needs a twingate block` };
    return;
  }
  const tg = resolveTwingate(env);
  for (const dependent of ['twingate-access-gateway', 'twingate-connector']) {
    const i = components.indexOf(dependent);
    if (i >= 0 && !components.includes('twingate-operator')) {
      yield { path: `components[${i}]`, message: `${show(dependent)} needs "twingate-operator" (its CRDs and secret store)` };
    }
  }
  yield* checkConnectors(tg, components);

  for (const app of Object.keys(tg.aliases)) {
    if (!env.apps[app]) yield { path: `twingate.aliases.${app}`, message: `unknown app ${show(app)}` };
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
  for (const [i, g] of tg.idpGroups.entries()) {
    if (!declared.has(g)) yield { path: `twingate.idpGroups[${i}]`, message: `group ${show(g)} is not declared in groups` };
  }
  const slugs = new Map<string, string>();
  for (const [i, g] of env.groups.entries()) {
    const slug = groupSlug(g);
    const other = slugs.get(slug);
    if (other !== undefined && other !== g) yield { path: `groups[${i}]`, message: `${show(g)} and ${show(other)} map to the same Kubernetes name ${show(slug)}` };
    slugs.set(slug, g);
  }
  for (const [i, row] of env.access.entries()) {
    if ((UNIVERSAL_GROUPS as readonly string[]).includes(row.group) && row.kubernetesRole && ROLE_RANK[row.kubernetesRole]! > ROLE_RANK.view!) {
      yield {
        path: `access[${i}].kubernetesRole`,
        message: `${show(row.kubernetesRole)} for ${show(row.group)} is above view; everyone who signs in would get it (bind a narrower group)`,
      };
    }
    if ((GATEWAY_GROUPS as readonly string[]).includes(row.group) && row.resources.length > 0) {
      yield { path: `access[${i}].resources`, message: `${show(row.group)} is a gateway identity, not a Twingate group; it can only get a kubernetesRole` };
    }
  }
}

function* checkConnectors(tg: ResolvedTwingate, components: readonly string[]): Generator<Problem> {
  const seen = new Map<string, { index: number; mode: ConnectorMode }>();
  for (const [i, c] of tg.connectors.entries()) {
    const path = `twingate.connectors[${i}]`;
    const earlier = seen.get(c.remoteNetwork);
    if (earlier && earlier.mode !== c.mode) {
      yield {
        path: `${path}.mode`,
        message: `remote network ${show(c.remoteNetwork)} already has ${earlier.mode} connectors (twingate.connectors[${earlier.index}]); choose operator or chart connectors, not both`,
      };
    } else if (earlier) {
      yield { path, message: `remote network ${show(c.remoteNetwork)} already has a connector set (twingate.connectors[${earlier.index}]); raise its replicas instead` };
    }
    seen.set(c.remoteNetwork, { index: i, mode: c.mode });
    if (c.mode === 'operator' && c.remoteNetwork !== tg.remoteNetwork) {
      yield { path: `${path}.remoteNetwork`, message: `operator connectors join the operator's remote network ${show(tg.remoteNetwork)}, not ${show(c.remoteNetwork)}` };
    }
    if (c.mode === 'chart' && c.replicas !== 1) {
      yield { path: `${path}.replicas`, message: 'chart connectors are one Helm release with one token pair; use mode "operator" for several connectors' };
    }
  }
  const chartSets = tg.connectors.filter((c) => c.mode === 'chart').length;
  const listed = components.indexOf('twingate-connector');
  if (chartSets > 0 && listed < 0) yield { path: 'components', message: 'chart connectors need the "twingate-connector" component' };
  if (chartSets === 0 && listed >= 0) yield { path: `components[${listed}]`, message: '"twingate-connector" renders chart connectors, and twingate.connectors has none' };
  if (chartSets > 1) yield { path: 'twingate.connectors', message: 'at most one chart connector set (one token pair in the secret store)' };
}
