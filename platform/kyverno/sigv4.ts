/**
 * SigV4 request signing for VPC Lattice callers (issue 16, item 3): one Kyverno `ClusterPolicy`
 * that adds a signing proxy (Envoy and its `aws_request_signing` filter) to the Pods of exactly
 * the apps the cluster's Lattice view lists as callers, and the proxy's configuration, one
 * ConfigMap per caller in its namespace. Why this design and not the seed's iptables sidecar or
 * signing in the app: docs/sigv4.md.
 *
 * - Pods, not Deployments: the mutation happens when a Pod is created, so the Deployment Argo CD
 *   syncs from dist/ stays exactly as rendered (no drift, no ignoreDifferences).
 * - The app reaches the proxy explicitly (`http_proxy` on 127.0.0.1), so no init container
 *   rewrites iptables: no NET_ADMIN, and every container of the Pod stays Pod Security
 *   `restricted` (the admission-policies component checks the mutated Pod too).
 * - The proxy signs only for the caller's declared hostnames: any other Host gets Envoy's 404,
 *   so an app cannot use it to sign requests to services it was not declared to call.
 */
import { COMMON_LABELS, EPHEMERAL_STORAGE, RESTRICTED_CONTAINER } from '../../lib/component';
import { type Environment, NAME_LABEL } from '../../lib/environment';
import type { LatticeView } from '../vpc-lattice/settings';

/**
 * The proxy image: upstream Envoy's distroless build at a fixed release. Not the seed's
 * `public.ecr.aws/seb-demo/envoy-sigv4:v0.5`, a personal demo repository whose entrypoint runs as
 * root, rewrites /etc and calls ACM PCA at start-up (docs/sigv4.md). 1.37.1 is a patch release of
 * the 1.37 line, whose `aws_request_signing` filter reads EKS Pod Identity credentials.
 */
export const PROXY_IMAGE = 'envoyproxy/envoy:distroless-v1.37.1';
/** Port the proxy listens on, on the Pod's loopback only (never reachable from other pods). */
export const PROXY_PORT = 15001;
export const PROXY_CONTAINER = 'sigv4-proxy';
/** UID/GID the proxy runs as (above 10000, as kube-score asks; Envoy needs no particular user). */
const PROXY_UID = 10101;
/** Where the proxy's ConfigMap (envoy.yaml, and ca.crt when the view carries the CA) is mounted. */
const CONFIG_DIR = '/etc/sigv4-proxy';
const CONFIG_VOLUME = 'sigv4-proxy-config';
/** The distroless image's CA bundle (Debian's path), used when the view carries no private CA. */
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** The service name VPC Lattice expects in the SigV4 credential scope. */
export const LATTICE_SIGNING_NAME = 'vpc-lattice-svcs';
export const POLICY_NAME = 'vpc-lattice-sigv4-proxy';
/** Kyverno's annotation naming the Pod controllers a Pod rule is also generated for (`none`: Pods only). */
export const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';

export type Caller = LatticeView['callers'][number];

/** The proxy's ConfigMap for one caller (its own allowed hostnames), in the caller's namespace. */
export const proxyConfigMapName = (c: Pick<Caller, 'app'>) => `${PROXY_CONTAINER}-${c.app}`;

/** Callers in a stable order (namespace, then app), so the policy's rules and files are deterministic. */
export function sortedCallers(view: Pick<LatticeView, 'callers'>): Caller[] {
  const key = (c: Caller) => `${c.namespace}/${c.app}`;
  return [...view.callers].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** What the app container gets: its HTTP requests go through the proxy, cluster-internal ones do not. */
export function appProxyEnv(env: Pick<Environment, 'cluster'>): { name: string; value: string }[] {
  const proxy = `http://127.0.0.1:${PROXY_PORT}`;
  // In-cluster names and loopback stay direct; only plain-HTTP calls to other hosts (the Lattice
  // routes) reach the proxy, which refuses hosts the caller was not declared to call.
  const direct = ['localhost', '127.0.0.1', '.svc', `.${env.cluster.domain}`].join(',');
  // curl and Go read the lower-case names, most other clients the upper-case ones.
  return [
    { name: 'HTTP_PROXY', value: proxy },
    { name: 'NO_PROXY', value: direct },
    { name: 'http_proxy', value: proxy },
    { name: 'no_proxy', value: direct },
  ];
}

/**
 * Envoy's bootstrap for one caller: a loopback HTTP listener whose only virtual host is the
 * caller's declared hostnames, the SigV4 filter (service `vpc-lattice-svcs`, unsigned payload:
 * Lattice does not support payload signing), and a dynamic forward proxy cluster that opens TLS
 * to the route's hostname (port 443, SNI and certificate name checked against it).
 */
export function envoyConfig(region: string, caller: Caller, caFile: string): Record<string, unknown> {
  const dnsCache = { name: 'lattice', dns_lookup_family: 'V4_ONLY' };
  const domains = [...new Set(caller.hostnames)].sort().flatMap((h) => [h, `${h}:80`]);
  return {
    static_resources: {
      listeners: [
        {
          name: 'sigv4',
          address: { socket_address: { address: '127.0.0.1', port_value: PROXY_PORT } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'sigv4',
                    // `http_proxy` clients send absolute URLs (`GET http://host/path`).
                    http_protocol_options: { allow_absolute_url: true },
                    route_config: {
                      name: 'lattice',
                      virtual_hosts: [{ name: 'lattice', domains, routes: [{ match: { prefix: '/' }, route: { cluster: 'lattice' } }] }],
                    },
                    http_filters: [
                      {
                        name: 'envoy.filters.http.dynamic_forward_proxy',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig',
                          dns_cache_config: dnsCache,
                        },
                      },
                      {
                        name: 'envoy.filters.http.aws_request_signing',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.aws_request_signing.v3.AwsRequestSigning',
                          service_name: LATTICE_SIGNING_NAME,
                          region,
                          use_unsigned_payload: true,
                          match_excluded_headers: [{ prefix: 'x-envoy' }, { prefix: 'x-forwarded' }, { exact: 'x-amzn-trace-id' }],
                        },
                      },
                      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'lattice',
          lb_policy: 'CLUSTER_PROVIDED',
          cluster_type: {
            name: 'envoy.clusters.dynamic_forward_proxy',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig', dns_cache_config: dnsCache },
          },
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              upstream_http_protocol_options: { auto_sni: true, auto_san_validation: true },
              explicit_http_config: { http_protocol_options: {} },
            },
          },
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
              common_tls_context: { validation_context: { trusted_ca: { filename: caFile } } },
            },
          },
        },
      ],
    },
  };
}

/** The caller's proxy ConfigMap: envoy.yaml (JSON, which YAML reads) and the private CA when known. */
export function proxyConfigMap(env: Environment, view: LatticeView, caller: Caller): Record<string, unknown> {
  const caFile = view.caCertificate ? `${CONFIG_DIR}/ca.crt` : SYSTEM_CA_BUNDLE;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: proxyConfigMapName(caller),
      namespace: caller.namespace,
      labels: { ...COMMON_LABELS, [NAME_LABEL]: PROXY_CONTAINER, 'app.kubernetes.io/part-of': caller.app },
    },
    data: {
      ...(view.caCertificate ? { 'ca.crt': view.caCertificate } : {}),
      'envoy.yaml': `${JSON.stringify(envoyConfig(env.aws.region, caller, caFile), null, 2)}\n`,
    },
  };
}

/** The sidecar added to a caller's Pods: restricted, read-only, pinned, bounded. */
export function proxyContainer(): Record<string, unknown> {
  return {
    name: PROXY_CONTAINER,
    image: PROXY_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    // No hot restart (it needs shared memory), one worker is plenty for one app's calls.
    args: ['--config-path', `${CONFIG_DIR}/envoy.yaml`, '--disable-hot-restart', '--concurrency', '1', '--log-level', 'warn'],
    securityContext: {
      ...RESTRICTED_CONTAINER,
      capabilities: { drop: ['ALL'] },
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    resources: {
      requests: { cpu: '10m', memory: '32Mi', 'ephemeral-storage': EPHEMERAL_STORAGE.request },
      limits: { cpu: '200m', memory: '128Mi', 'ephemeral-storage': EPHEMERAL_STORAGE.limit },
    },
    volumeMounts: [{ name: CONFIG_VOLUME, mountPath: CONFIG_DIR, readOnly: true }],
  };
}

/** One rule per caller: its namespace AND its app label, Pods only, at creation. */
export function injectionRule(env: Pick<Environment, 'cluster'>, caller: Caller): Record<string, unknown> {
  return {
    name: `inject-${caller.namespace}-${caller.app}`.slice(0, 63),
    match: {
      any: [
        {
          resources: {
            kinds: ['Pod'],
            operations: ['CREATE'],
            namespaces: [caller.namespace],
            selector: { matchLabels: { [NAME_LABEL]: caller.app } },
          },
        },
      ],
    },
    mutate: {
      patchStrategicMerge: {
        spec: {
          // Merged by name: the app's container (named after the app) gets the proxy variables.
          containers: [{ name: caller.app, env: appProxyEnv(env) }, proxyContainer()],
          volumes: [{ name: CONFIG_VOLUME, configMap: { name: proxyConfigMapName(caller) } }],
        },
      },
    },
  };
}

/**
 * The ClusterPolicy. `failurePolicy: Fail`: a caller Pod is never created without its proxy (it
 * would only see 403s); Kyverno's webhooks are limited to the callers' namespaces (chart value
 * `config.webhooks`), so an unavailable Kyverno blocks Pod creation there only.
 */
export function injectionPolicy(env: Environment, view: LatticeView): Record<string, unknown> {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: {
      name: POLICY_NAME,
      labels: { ...COMMON_LABELS },
      annotations: {
        // No rules generated for Deployments and other Pod controllers (Kyverno's auto-gen): the
        // Deployment Argo CD syncs must stay as rendered; only the Pods it creates are mutated.
        [AUTOGEN_ANNOTATION]: 'none',
        'policies.kyverno.io/title': 'VPC Lattice SigV4 signing proxy',
        'policies.kyverno.io/description': `Adds the SigV4 signing proxy to the Pods of exactly the VPC Lattice callers of ${view.environment}/${view.cluster}.`,
      },
    },
    spec: {
      admission: true,
      // Admission only: Pods are never mutated after creation (no background controller runs).
      background: false,
      failurePolicy: 'Fail',
      rules: sortedCallers(view).map((c) => injectionRule(env, c)),
    },
  };
}
