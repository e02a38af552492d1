/**
 * The tailscale-operator component: Tailscale as an access provider, beside or instead of
 * Twingate.
 *
 * - The upstream `tailscale-operator` chart (rendered by synth, values typed below), its OAuth
 *   client from AWS Secrets Manager through an ExternalSecret against the external-secrets
 *   component's ClusterSecretStore, and the CRDs the chart copy lacks ({@link TAILSCALE_CRDS}).
 * - The subnet router: a `Connector` advertising exactly the cluster's pod and service CIDRs
 *   (plus the VPC when asked), so tailnet clients reach ClusterIP Services by their cluster
 *   names; the NetworkPolicies still decide what the router may reach.
 * - Split DNS: a `DNSConfig` nameserver at a fixed Service IP for CoreDNS's `ts.net` stub zone.
 * - Egress: one ExternalName Service per declared tailnet device.
 * - API server access: a `ProxyGroup` of type kube-apiserver in auth mode, with the RBAC of the
 *   same access table as Twingate's access gateway (platform/shared/access-bindings.ts).
 *
 * Every pod runs in the component's namespace under default deny, with the flows declared in
 * {@link tailscaleFlows}; the operator creates all of them but its own at run time, so the
 * intent proof models them (platform/tailscale/settings.ts, `tailscaleWorkloads`).
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Connector } from '../../imports/tailscale-connector-tailscale.com';
import { DnsConfig } from '../../imports/tailscale-dnsconfig-tailscale.com';
import { ProxyGroup, ProxyGroupSpecKubeApiServerMode, ProxyGroupSpecType } from '../../imports/tailscale-proxygroup-tailscale.com';
import { toApiServer } from '../../lib/cluster';
import { COMMON_LABELS, type Component, EPHEMERAL_STORAGE, type OperatorField, PINNED_IMAGE_PULL_POLICY, type UpstreamCrds } from '../../lib/component';
import type { Environment, FlowInput } from '../../lib/environment';
import type { ApiObject as RenderedObject } from '../../lib/output';
import { accessBindings, impersonatedGroups, type Provider, renderBindings } from '../shared/access-bindings';
import { externalSecret } from '../shared/external-secrets';
import { crMetadata, WAVES } from '../shared/sync-waves';
import {
  API_SERVER_PROXY,
  egressWorkloadName,
  groupSlug,
  resolveTailscale,
  SUBNET_ROUTER,
  TS_WORKLOADS,
  tailscaleSettings,
  tailscaleWorkloads,
} from '../tailscale/settings';

const CHART_REPO = 'https://pkgs.tailscale.com/helmcharts';
const CHART_VERSION = '1.102.3';
/** The release every image of the operator is pinned to (the chart's appVersion). */
export const TAILSCALE_VERSION = `v${CHART_VERSION}`;
const RELEASE = 'tailscale-operator';

/**
 * The `tailscale.com` CRDs at the commit of the chart's release (tag v1.102.3): the chart's
 * source carries no CRD templates (the published package gets them at packaging time).
 */
export const TAILSCALE_CRDS: UpstreamCrds = {
  name: 'tailscale',
  baseUrl: 'https://raw.githubusercontent.com/tailscale/tailscale/53a0d659afa51835dd7a9283873cca44261454f8/cmd/k8s-operator/deploy/crds',
  files: [
    'tailscale.com_connectors.yaml',
    'tailscale.com_dnsconfigs.yaml',
    'tailscale.com_peerrelays.yaml',
    'tailscale.com_proxyclasses.yaml',
    'tailscale.com_proxygrouppolicies.yaml',
    'tailscale.com_proxygroups.yaml',
    'tailscale.com_recorders.yaml',
    'tailscale.com_tailnets.yaml',
  ],
};
/** Secret the chart's Deployment mounts (keys `client_id`, `client_secret`); never rendered with values. */
export const OAUTH_SECRET = 'operator-oauth';
/** The impersonation ClusterRole the chart renders when `apiServerProxyConfig.allowImpersonation` is on. */
export const AUTH_PROXY_CLUSTER_ROLE = 'tailscale-auth-proxy';
/** ProxyClass pinning the kube-apiserver proxy image (its default is `tailscale/k8s-proxy:latest`). */
const API_SERVER_PROXY_CLASS = 'api-server-proxy';
const DNS_CONFIG = 'ts-dns';
/**
 * What `spec.externalName` of an egress Service says until the operator writes the proxy's
 * address: Kubernetes requires the field on ExternalName Services, so it cannot be left out;
 * `.invalid` never resolves (RFC 2606). Argo CD ignores the field afterwards (operatorFields).
 */
export const EGRESS_PLACEHOLDER = 'tailscale-egress.invalid';

const labels = { ...COMMON_LABELS, 'app.kubernetes.io/part-of': 'tailscale' };

/** The public internet: everything but private and link-local (instance metadata) ranges. */
const INTERNET = { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'] };

/** The access table's groups as Tailscale forwards them: the capability grant names the declared group itself. */
export const TAILSCALE_PROVIDER: Provider = { prefix: 'tailscale-group', subject: (g) => g, slug: groupSlug };

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml of tailscale-operator 1.102.3, which has no schema; only what we set)

interface TailscaleOperatorValues {
  /** The chart copy carries no CRD templates; this component delivers them ({@link TAILSCALE_CRDS}). */
  readonly installCRDs: false;
  readonly operatorConfig: {
    /** Tags of the operator's device; owned in the tailnet policy. */
    readonly defaultTags: readonly string[];
    /** Device name in the tailnet. */
    readonly hostname: string;
    readonly logging: 'info' | 'debug' | 'dev';
    readonly image: { readonly pullPolicy: 'IfNotPresent' };
    readonly resources: object;
    readonly podSecurityContext: object;
    readonly securityContext: object;
  };
  readonly proxyConfig: {
    /** Comma-separated, as the chart passes it on. */
    readonly defaultTags: string;
    readonly firewallMode: 'auto';
  };
  readonly apiServerProxyConfig: {
    /** "true": the chart renders the impersonation ClusterRole the kube-apiserver ProxyGroup's auth mode needs. */
    readonly allowImpersonation: 'true' | 'false';
    /** The operator's in-process proxy stays off: the ProxyGroup serves (HA). */
    readonly mode: 'false';
  };
  /** No Tailscale Ingress here: access is the subnet router and the API server proxy. */
  readonly ingressClass: { readonly enabled: false };
}

export function operatorValues(env: Environment): TailscaleOperatorValues {
  const ts = resolveTailscale(env);
  return {
    installCRDs: false,
    operatorConfig: {
      defaultTags: [...ts.operatorTags],
      hostname: `${env.cluster.name}-tailscale-operator`,
      logging: 'info',
      image: { pullPolicy: 'IfNotPresent' },
      resources: {
        requests: { cpu: '50m', memory: '128Mi', 'ephemeral-storage': EPHEMERAL_STORAGE.request },
        limits: { cpu: '500m', memory: '256Mi', 'ephemeral-storage': EPHEMERAL_STORAGE.limit },
      },
      podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      securityContext: { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } },
    },
    proxyConfig: { defaultTags: ts.proxyTags.join(','), firewallMode: 'auto' },
    apiServerProxyConfig: { allowImpersonation: ts.apiServer.enabled ? 'true' : 'false', mode: 'false' },
    ingressClass: { enabled: false },
  };
}

/**
 * What the API server proxy may impersonate: any user (the tailnet login, unknown in advance),
 * and exactly the groups with a role in the access table (the chart's role allows any group,
 * `system:masters` included).
 */
export function authProxyRules(env: Environment) {
  return [
    { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
    { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: impersonatedGroups(env, TAILSCALE_PROVIDER) },
  ];
}

function narrowImpersonation(objects: readonly RenderedObject[], env: Environment): RenderedObject[] {
  const isRole = (o: RenderedObject) => o.kind === 'ClusterRole' && o.metadata.name === AUTH_PROXY_CLUSTER_ROLE;
  const found = objects.filter(isRole).length;
  const expected = resolveTailscale(env).apiServer.enabled ? 1 : 0;
  if (found !== expected)
    throw new Error(
      `internal: the tailscale-operator chart rendered ${found} ClusterRoles ${AUTH_PROXY_CLUSTER_ROLE}, expected ${expected}; review chartPatches`,
    );
  return objects.map((o) => (isRole(o) ? ({ ...o, rules: authProxyRules(env) } as RenderedObject) : o));
}

// ---------------------------------------------------------------------------------------------
// Flows

/**
 * The operator calls the API server and the Tailscale API; every proxy (subnet router, API
 * server proxy, egress proxies) keeps its state in a Secret (API server) and reaches the
 * coordination server and DERP relays on TCP 443. Direct WireGuard (UDP 41641, STUN on 3478)
 * only where the environment chooses it.
 */
export function tailscaleFlows(env: Environment): FlowInput[] {
  const ts = resolveTailscale(env);
  const ns = ts.namespace;
  const operator = `${ns}/${TS_WORKLOADS.operator}`;
  const proxies = [
    TS_WORKLOADS.subnetRouter,
    ...(ts.apiServer.enabled ? [TS_WORKLOADS.apiServerProxy] : []),
    ...Object.keys(ts.egress).sort().map(egressWorkloadName),
  ];
  return [
    ...toApiServer(env, operator, 'Tailscale operator to the Kubernetes API server'),
    { from: operator, to: INTERNET, port: 443, description: 'Tailscale operator to the Tailscale API and coordination server' },
    ...proxies.flatMap((p): FlowInput[] => [
      ...toApiServer(env, `${ns}/${p}`, `Tailscale ${p}: state Secret and API calls`),
      { from: `${ns}/${p}`, to: INTERNET, port: 443, description: `Tailscale ${p} to the coordination server and DERP relays` },
      ...(ts.directConnections
        ? [
            { from: `${ns}/${p}`, to: INTERNET, port: 41641, protocol: 'UDP' as const, description: `Tailscale ${p}: WireGuard directly to peers` },
            {
              from: `${ns}/${p}`,
              to: INTERNET,
              port: 3478,
              protocol: 'UDP' as const,
              description: `Tailscale ${p}: STUN to DERP servers (direct connections)`,
            },
          ]
        : []),
    ]),
    ...(ts.dns.enabled
      ? [
          {
            from: 'kube-system/*',
            to: `${ns}/${TS_WORKLOADS.nameserver}`,
            port: 'dns',
            description: 'CoreDNS forwards tailnet names to the Tailscale nameserver',
          },
        ]
      : []),
  ];
}

/** The operator overwrites `spec.externalName` of egress Services with its proxy's address. */
export const TAILSCALE_OPERATOR_FIELDS: readonly OperatorField[] = [
  {
    group: '',
    kind: 'Service',
    jqPathExpressions: ['.spec.externalName'],
    why: 'the Tailscale operator points egress Services at their proxy; git holds a placeholder the API server requires',
    ownComponentOnly: true,
  },
];

// ---------------------------------------------------------------------------------------------

export const tailscaleOperator = {
  name: 'tailscale-operator',
  settings: tailscaleSettings,
  // Its OAuth client comes through an ExternalSecret, read from the store external-secrets provides.
  requires: ['external-secrets'],
  namespace: (env) => resolveTailscale(env).namespace,
  chart: { repository: CHART_REPO, chart: 'tailscale-operator', version: CHART_VERSION, releaseName: RELEASE, values: operatorValues },
  crds: TAILSCALE_CRDS,
  chartPatches: narrowImpersonation,
  operatorFields: TAILSCALE_OPERATOR_FIELDS,
  workloads: tailscaleWorkloads,
  flows: tailscaleFlows,
  scoreExceptions: [
    PINNED_IMAGE_PULL_POLICY,
    {
      check: 'container-security-context-user-group-id',
      reason: 'the k8s-operator image runs as root and writes its tsnet state under /.config, which the chart gives no volume for (tailscale/tailscale#7359)',
      kinds: ['Deployment'],
    },
    {
      check: 'container-security-context-readonlyrootfilesystem',
      reason: 'the k8s-operator image writes its tsnet state under /.config, which the chart gives no volume for (tailscale/tailscale#7359)',
      kinds: ['Deployment'],
    },
  ],
  render(chart, env) {
    const ts = resolveTailscale(env);
    const ns = ts.namespace;

    externalSecret(chart, {
      name: OAUTH_SECRET,
      namespace: ns,
      store: ts.secrets.store,
      data: {
        client_id: { path: ts.secrets.oauthClientPath, property: 'client_id' },
        client_secret: { path: ts.secrets.oauthClientPath, property: 'client_secret' },
      },
    });

    new Connector(chart, 'subnet-router', {
      metadata: crMetadata(SUBNET_ROUTER, undefined, WAVES.tailscale, labels),
      spec: {
        hostnamePrefix: `${env.cluster.name}-subnet-router`,
        replicas: ts.subnetRouter.replicas,
        tags: [...ts.subnetRouter.tags],
        subnetRouter: { advertiseRoutes: [...ts.routes] },
      },
    });

    if (ts.dns.enabled) {
      new DnsConfig(chart, 'dns-config', {
        metadata: crMetadata(DNS_CONFIG, undefined, WAVES.tailscale, labels),
        spec: {
          nameserver: {
            image: { repo: 'tailscale/k8s-nameserver', tag: TAILSCALE_VERSION },
            replicas: ts.dns.replicas,
            service: { clusterIp: ts.dns.nameserverIp },
          },
        },
      });
    }

    if (ts.apiServer.enabled) {
      new ApiObject(chart, 'api-server-proxy-class', {
        apiVersion: 'tailscale.com/v1alpha1',
        kind: 'ProxyClass',
        metadata: crMetadata(API_SERVER_PROXY_CLASS, undefined, WAVES.tailscale, labels),
        spec: { statefulSet: { pod: { tailscaleContainer: { image: `tailscale/k8s-proxy:${TAILSCALE_VERSION}` } } } },
      });
      new ProxyGroup(chart, 'api-server-proxy', {
        metadata: crMetadata(API_SERVER_PROXY, undefined, WAVES.tailscale, labels),
        spec: {
          type: ProxyGroupSpecType.KUBE_HYPHEN_APISERVER,
          replicas: ts.apiServer.replicas,
          tags: [...ts.apiServer.tags],
          proxyClass: API_SERVER_PROXY_CLASS,
          kubeApiServer: { mode: ProxyGroupSpecKubeApiServerMode.AUTH, hostname: ts.apiServer.hostname },
        },
      });
      renderBindings(chart, accessBindings(env, TAILSCALE_PROVIDER), labels);
    }

    for (const name of Object.keys(ts.egress).sort()) {
      const e = ts.egress[name]!;
      new k8s.KubeService(chart, `egress-${e.namespace}-${name}`, {
        metadata: {
          name,
          namespace: e.namespace,
          labels,
          annotations: e.tailnetIp ? { 'tailscale.com/tailnet-ip': e.tailnetIp } : { 'tailscale.com/tailnet-fqdn': e.tailnetFqdn! },
        },
        spec: {
          type: 'ExternalName',
          externalName: EGRESS_PLACEHOLDER,
          ports: Object.keys(e.ports)
            .sort()
            .map((p) => ({ name: p, port: e.ports[p]!.port, protocol: e.ports[p]!.protocol })),
        },
      });
    }
  },
} satisfies Component;
