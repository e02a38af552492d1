/**
 * The `tailscale` settings block of the tailscale-operator component: tags and the tailnet
 * policy tags that own them, the subnet router (`Connector`), the API server proxy
 * (`ProxyGroup` of type kube-apiserver), split DNS (`DNSConfig` with a fixed Service IP),
 * egress Services, whether proxies may send WireGuard directly (UDP 41641), how access-table
 * groups are named in the tailnet, and where the OAuth client comes from. Resolved once when
 * the environment is validated; the cross-checks (one line each) are {@link checkTailscale}.
 */
import { z } from 'zod';
import { contains, formatIpv4, parseCidr, parseIpv4 } from '../../lib/cidr';
import { maybeSettingsOf, type SettingsBlock, settingsOf, type WorkloadRef } from '../../lib/component';
import { type Environment, oneLine, type Problem, type Protocol, protocol } from '../../lib/environment';
import { AWS_SECRET_STORE } from '../shared/external-secrets';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;
const SECRET_PATH = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** A tailnet policy tag: `tag:` then letters, digits and dashes (Tailscale's rule). */
const TAG = /^tag:[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
/** A tailnet policy source selector: a group, a tag, a user (e-mail) or an autogroup. */
const SOURCE = /^(group:[^\s,]+|tag:[A-Za-z0-9-]+|autogroup:[a-z-]+|[^\s@,]+@[^\s@,]+)$/;
const show = (value: unknown) => JSON.stringify(value);

const label = z.string().refine((s) => s.length <= 63 && DNS_LABEL.test(s), { error: (i) => `${show(i.input)} is not a DNS-1123 label` });
const serviceName = z.string().refine((s) => s.length <= 63 && DNS_1035_LABEL.test(s), { error: (i) => `${show(i.input)} is not a DNS-1035 label` });
const hostname = z.string().refine((s) => s.length <= 253 && s.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l)), {
  error: (i) => `${show(i.input)} is not a DNS name`,
});
const tag = z.string().refine((s) => TAG.test(s), { error: (i) => `${show(i.input)} is not a tailnet tag ("tag:<letters, digits, ->")` });
const tags = z.array(tag).min(1);
const ipv4 = z
  .string()
  .refine((s) => parseIpv4(s) !== undefined && formatIpv4(parseIpv4(s)!) === s, { error: (i) => `${show(i.input)} is not an IPv4 address` });
const cidr = z.string().refine((s) => parseCidr(s) !== undefined, { error: (i) => `${show(i.input)} is not an IPv4 CIDR` });
const port = z.number().int().min(1).max(65535);
const replicas = z.number().int().min(1).max(10);

/** Tags the operator and its proxies use unless the environment says otherwise, each owned by the operator's tag. */
export const DEFAULT_TAGS = {
  operator: 'tag:k8s-operator',
  proxies: 'tag:k8s',
  subnetRouter: 'tag:k8s-subnet-router',
  apiServer: 'tag:k8s-api-server',
} as const;

/** The tailnet policy's `tagOwners` the defaults need (Tailscale's operator set-up: the operator's tag owns the proxies' tags). */
const DEFAULT_TAG_OWNERS: Record<string, string[]> = {
  [DEFAULT_TAGS.operator]: [],
  [DEFAULT_TAGS.proxies]: [DEFAULT_TAGS.operator],
  [DEFAULT_TAGS.subnetRouter]: [DEFAULT_TAGS.operator],
  [DEFAULT_TAGS.apiServer]: [DEFAULT_TAGS.operator],
};

const egressPort = z.strictObject({
  port,
  /** @default "TCP" */
  protocol: protocol.default('TCP'),
});

const egress = z
  .strictObject({
    /** Namespace of the ExternalName Service (where the apps that call it run); declared in `namespaces`. */
    namespace: label,
    /** The tailnet device's Tailscale IP (exactly one of tailnetIp, tailnetFqdn). */
    tailnetIp: ipv4.optional(),
    /** The tailnet device's MagicDNS name (exactly one of tailnetIp, tailnetFqdn). */
    tailnetFqdn: hostname.optional(),
    /** Named ports the Service exposes; the proxy forwards them to the tailnet device. */
    ports: z.record(
      z.string().refine((s) => s.length <= 15 && PORT_NAME.test(s), { error: (i) => `${show(i.input)} is not a port name` }),
      egressPort,
    ),
    /** Why the cluster calls it, in one line. */
    description: oneLine.optional(),
  })
  .refine((e) => Object.keys(e.ports).length > 0, { error: 'an egress service needs at least one port' });

const tailscaleSchema = z.strictObject({
  /** Namespace of the operator and every proxy it creates. @default "tailscale" */
  namespace: label.default('tailscale'),
  /**
   * The `tagOwners` of the tailnet policy (infra writes them): every tag used below must be
   * declared here and owned by one of the operator's tags, or the operator cannot create its
   * devices. @default the four default tags, proxies' tags owned by "tag:k8s-operator"
   */
  tagOwners: z.record(tag, z.array(z.string())).default(DEFAULT_TAG_OWNERS),
  /** Tags of the operator's own device. @default ["tag:k8s-operator"] */
  operatorTags: tags.default([DEFAULT_TAGS.operator]),
  /** Default tags of proxies the operator creates for Services (egress). @default ["tag:k8s"] */
  proxyTags: tags.default([DEFAULT_TAGS.proxies]),
  /** The subnet router: a `Connector` advertising the cluster's pod and service CIDRs. */
  subnetRouter: z
    .strictObject({
      /** Devices (pods); two or more for high availability (Tailscale fails routes over). @default 2 */
      replicas: replicas.default(2),
      /** @default ["tag:k8s-subnet-router"] */
      tags: tags.default([DEFAULT_TAGS.subnetRouter]),
      /** Also advertise the VPC CIDR: private EKS endpoint and other VPC addresses from the tailnet. @default false */
      advertiseVpc: z.boolean().default(false),
      /** Further ranges to advertise; each inside the VPC (e.g. a database subnet). @default [] */
      extraRoutes: z.array(cidr).default([]),
    })
    .prefault({}),
  /** The API server proxy: a `ProxyGroup` of type kube-apiserver in auth mode. */
  apiServer: z
    .strictObject({
      /** @default true */
      enabled: z.boolean().default(true),
      /** @default 2 */
      replicas: replicas.default(2),
      /** @default ["tag:k8s-api-server"] */
      tags: tags.default([DEFAULT_TAGS.apiServer]),
      /** MagicDNS host name kubectl dials. @default "<cluster.name>-api" */
      hostname: label.optional(),
    })
    .prefault({}),
  /** Split DNS: the tailnet nameserver (`DNSConfig`) the cluster forwards `ts.net` names to. */
  dns: z
    .strictObject({
      /** @default true */
      enabled: z.boolean().default(true),
      /** The nameserver Service's fixed ClusterIP, inside the service CIDR. @default service CIDR + 53 */
      nameserverIp: ipv4.optional(),
      /** @default 2 */
      replicas: replicas.default(2),
      /** Zone CoreDNS forwards to it. @default "ts.net" */
      zone: hostname.default('ts.net'),
    })
    .prefault({}),
  /**
   * Proxies may send WireGuard to peers directly (UDP 41641, and STUN on UDP 3478 to discover
   * their public address) instead of only through DERP relays on TCP 443: lower latency, at the
   * price of UDP egress to the internet. @default false
   */
  directConnections: z.boolean().default(false),
  /** Tailnet devices the cluster calls: each becomes an ExternalName Service and an egress proxy. @default {} */
  egress: z.record(serviceName, egress).default({}),
  /** The tailnet source of each access-table group (policy grants). @default "group:<slug of the group>" */
  groups: z
    .record(
      z.string(),
      z.string().refine((s) => SOURCE.test(s), { error: (i) => `${show(i.input)} is not a tailnet source` }),
    )
    .default({}),
  /** Where the OAuth client comes from (External Secrets, AWS Secrets Manager). */
  secrets: z
    .strictObject({
      /** ClusterSecretStore the ExternalSecret reads. @default "aws-secrets-manager" (the one the external-secrets component renders, for aws.region) */
      store: label.default(AWS_SECRET_STORE),
      /** JSON secret with `client_id` and `client_secret`. @default "zt-eks/<env>/tailscale/oauth-client" */
      oauthClientPath: z
        .string()
        .refine((s) => SECRET_PATH.test(s), { error: (i) => `${show(i.input)} is not a Secrets Manager secret name` })
        .optional(),
    })
    .prefault({}),
});

type TailscaleConfig = z.output<typeof tailscaleSchema>;

export interface ResolvedTailscale extends Omit<TailscaleConfig, 'apiServer' | 'dns' | 'secrets'> {
  readonly apiServer: TailscaleConfig['apiServer'] & { readonly hostname: string };
  readonly dns: TailscaleConfig['dns'] & { readonly nameserverIp: string };
  readonly secrets: Required<TailscaleConfig['secrets']>;
  /** What the Connector advertises, in order: pods, services, then the VPC and extra routes. */
  readonly routes: readonly string[];
}

function resolve(ts: TailscaleConfig, env: Pick<Environment, 'name' | 'cluster' | 'aws' | 'network'>): ResolvedTailscale {
  const services = parseCidr(env.network.serviceCidr)!;
  const routes = [env.network.podCidr, env.network.serviceCidr, ...(ts.subnetRouter.advertiseVpc ? [env.network.vpcCidr] : []), ...ts.subnetRouter.extraRoutes];
  return {
    ...ts,
    apiServer: { ...ts.apiServer, hostname: ts.apiServer.hostname ?? `${env.cluster.name}-api` },
    dns: { ...ts.dns, nameserverIp: ts.dns.nameserverIp ?? formatIpv4(services.start + 53) },
    secrets: {
      store: ts.secrets.store,
      oauthClientPath: ts.secrets.oauthClientPath ?? `zt-eks/${env.name}/tailscale/oauth-client`,
    },
    // A route advertised twice (a pod CIDR that is the VPC, as with the VPC CNI) is one route.
    routes: [...new Set(routes)],
  };
}

/** The `tailscale` block, resolved when the environment was validated. */
export const tailscaleSettings: SettingsBlock<typeof tailscaleSchema, ResolvedTailscale, 'tailscale'> = {
  key: 'tailscale',
  schema: tailscaleSchema,
  resolve,
  check: checkTailscale,
};

export function resolveTailscale(env: Environment): ResolvedTailscale {
  return settingsOf(env, tailscaleSettings);
}

export function maybeTailscale(env: Environment): ResolvedTailscale | undefined {
  return maybeSettingsOf(env, tailscaleSettings);
}

// ---------------------------------------------------------------------------------------------
// Workloads: every pod here is created by the operator at run time, except the operator's own.

/** The operator's pods (chart Deployment `operator`). */
export const OPERATOR_LABELS = { app: 'operator' } as const;
/** Names of what the operator reconciles. */
export const SUBNET_ROUTER = 'subnet-router';
export const API_SERVER_PROXY = 'api-server-proxy';
/** Workload names flows use: `<tailscale namespace>/<name>`. */
export const TS_WORKLOADS = { operator: 'operator', subnetRouter: SUBNET_ROUTER, apiServerProxy: API_SERVER_PROXY, nameserver: 'nameserver' } as const;
/** The nameserver's container port (operator manifest `nameserver/deploy.yaml`). */
export const NAMESERVER_PORTS: Readonly<Record<string, { containerPort: number; protocol: Protocol }>> = { dns: { containerPort: 1053, protocol: 'UDP' } };

const PARENT = 'tailscale.com/parent-resource';
const PARENT_TYPE = 'tailscale.com/parent-resource-type';
const PARENT_NS = 'tailscale.com/parent-resource-ns';

/** Workload name of the egress proxy of egress Service `name`. */
export const egressWorkloadName = (name: string) => `egress-${name}`;

/** Every workload of the component, for flows and the intent proof. */
export function tailscaleWorkloads(env: Environment): WorkloadRef[] {
  const ts = resolveTailscale(env);
  const ns = ts.namespace;
  const byOperator = (what: string) => `the Tailscale operator creates the ${what} pods at run time (StatefulSet labelled with its parent resource)`;
  return [
    { namespace: ns, name: TS_WORKLOADS.operator, labels: OPERATOR_LABELS, ports: {} },
    {
      namespace: ns,
      name: TS_WORKLOADS.subnetRouter,
      labels: { [PARENT]: SUBNET_ROUTER, [PARENT_TYPE]: 'connector' },
      ports: {},
      modelled: byOperator('subnet router (Connector)'),
    },
    ...(ts.apiServer.enabled
      ? [
          {
            namespace: ns,
            name: TS_WORKLOADS.apiServerProxy,
            labels: { [PARENT]: API_SERVER_PROXY, [PARENT_TYPE]: 'proxygroup' },
            ports: {},
            modelled: byOperator('API server proxy (ProxyGroup)'),
          },
        ]
      : []),
    ...(ts.dns.enabled
      ? [
          {
            namespace: ns,
            name: TS_WORKLOADS.nameserver,
            labels: { app: 'nameserver' },
            ports: NAMESERVER_PORTS,
            modelled: byOperator('nameserver (DNSConfig)'),
          },
        ]
      : []),
    ...Object.entries(ts.egress)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, e]) => ({
        namespace: ns,
        name: egressWorkloadName(name),
        labels: { [PARENT]: name, [PARENT_NS]: e.namespace, [PARENT_TYPE]: 'svc' },
        ports: Object.fromEntries(Object.entries(e.ports).map(([p, v]) => [p, { containerPort: v.port, protocol: v.protocol }])),
        modelled: byOperator(`egress proxy of Service ${e.namespace}/${name}`),
      })),
  ];
}

/** A group's source in the tailnet policy: its `groups` entry, else `group:<slug>`. */
export function tailnetSource(ts: Pick<ResolvedTailscale, 'groups'>, group: string): string {
  return ts.groups[group] ?? `group:${groupSlug(group)}`;
}

export function groupSlug(group: string): string {
  return (
    group
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50)
      .replace(/-+$/, '') || 'group'
  );
}

// ---------------------------------------------------------------------------------------------
// Cross-checks

/** Every tag the environment uses, with the field that uses it. */
function usedTags(ts: ResolvedTailscale): { path: string; tag: string }[] {
  const list = (path: string, values: readonly string[]) => values.map((tag, i) => ({ path: `${path}[${i}]`, tag }));
  return [
    ...list('tailscale.proxyTags', ts.proxyTags),
    ...list('tailscale.subnetRouter.tags', ts.subnetRouter.tags),
    ...(ts.apiServer.enabled ? list('tailscale.apiServer.tags', ts.apiServer.tags) : []),
  ];
}

function* checkTailscale(env: Environment): Generator<Problem> {
  const ts = resolveTailscale(env);
  if (!env.namespaces.includes(ts.namespace)) yield { path: 'tailscale.namespace', message: `namespace ${show(ts.namespace)} is not declared in namespaces` };

  for (const [i, t] of ts.operatorTags.entries()) {
    if (!(t in ts.tagOwners)) yield { path: `tailscale.operatorTags[${i}]`, message: `tag ${show(t)} is not declared in tailscale.tagOwners` };
  }
  for (const { path, tag: t } of usedTags(ts)) {
    const owners = ts.tagOwners[t];
    if (!owners) yield { path, message: `tag ${show(t)} is not declared in tailscale.tagOwners` };
    else if (!ts.operatorTags.some((o) => owners.includes(o)))
      yield {
        path,
        message: `tag ${show(t)} is not owned by the operator (tailscale.tagOwners[${show(t)}] lists none of ${ts.operatorTags.map(show).join(', ')})`,
      };
  }

  const vpc = parseCidr(env.network.vpcCidr)!;
  for (const [i, r] of ts.subnetRouter.extraRoutes.entries()) {
    if (!contains(vpc, parseCidr(r)!))
      yield { path: `tailscale.subnetRouter.extraRoutes[${i}]`, message: `${show(r)} is outside the VPC ${env.network.vpcCidr}` };
  }

  if (ts.dns.enabled) {
    const ip = parseIpv4(ts.dns.nameserverIp)!;
    const services = parseCidr(env.network.serviceCidr)!;
    const path = 'tailscale.dns.nameserverIp';
    if (ip < services.start || ip > services.end)
      yield { path, message: `${show(ts.dns.nameserverIp)} is outside the service CIDR ${env.network.serviceCidr}` };
    // .1 is the kubernetes Service, .10 kube-dns (EKS): both taken before anything else.
    else if (ip === services.start + 1 || ip === services.start + 10)
      yield { path, message: `${show(ts.dns.nameserverIp)} is taken by ${ip === services.start + 1 ? 'the kubernetes Service' : 'kube-dns'}` };
  }

  for (const [name, e] of Object.entries(ts.egress)) {
    const path = `tailscale.egress.${name}`;
    if (!env.namespaces.includes(e.namespace)) yield { path: `${path}.namespace`, message: `namespace ${show(e.namespace)} is not declared in namespaces` };
    if ((e.tailnetIp === undefined) === (e.tailnetFqdn === undefined)) yield { path, message: 'set exactly one of tailnetIp and tailnetFqdn' };
    if (env.apps[name]?.namespace === e.namespace) yield { path, message: `app ${show(name)} already has a Service of that name in ${show(e.namespace)}` };
  }

  const declared = new Set(env.groups);
  for (const g of Object.keys(ts.groups)) {
    if (!declared.has(g)) yield { path: `tailscale.groups.${g}`, message: `group ${show(g)} is not declared in groups` };
  }
}
