/**
 * The twingate-operator component: the upstream `twingate-operator` chart (rendered by synth,
 * values typed below) plus what the operator reconciles: connectors (operator mode), one
 * TwingateResource per exposed app Service, the TwingateGroups this platform creates (opt-in,
 * `twingate.managedGroups`, named per environment; every other group is the identity provider's), and one
 * TwingateResourceAccess per (resource, group) of the access table. Its credentials come from
 * AWS Secrets Manager through External Secrets.
 *
 * Fields the operator writes (`spec.id` everywhere, `spec.name` on connectors) are never
 * rendered: a GitOps tool would fight the operator over them, and a Replace sync would drop
 * the id (see docs/twingate.md).
 */
import { TwingateConnector, TwingateConnectorSpecImagePolicyProvider } from '../../imports/twingate-connector-twingate.com';
import { TwingateGroup } from '../../imports/twingate-group-twingate.com';
import { TwingateResource, TwingateResourceSpecProtocolsTcpPolicy, TwingateResourceSpecProtocolsUdpPolicy } from '../../imports/twingate-resource-twingate.com';
import { toApiServer } from '../../lib/cluster';
import { type Component, PINNED_IMAGE_PULL_POLICY } from '../../lib/component';
import type { Environment, FlowInput } from '../../lib/environment';
import { externalSecret } from '../shared/external-secrets';
import { crMetadata, WAVES } from '../shared/sync-waves';
import { accessPlan } from '../twingate/access';
import { TWINGATE_OPERATOR_FIELDS } from '../twingate/operator-fields';
import { labels, type ResourceRequirements, renderAccess, UPSTREAM_USER_ID, withEphemeralStorage } from '../twingate/render';
import {
  CONNECTOR_EGRESS,
  CONNECTOR_LABELS,
  CONNECTOR_P2P_EGRESS,
  connectorWorkload,
  INTERNET,
  OPERATOR_RELEASE,
  operatorWorkload,
  resolveTwingate,
  twingateSettings,
  WORKLOADS,
} from '../twingate/settings';

/** Where the operator chart is published. */
const OPERATOR_CHART_REPO = 'oci://ghcr.io/twingate/helmcharts';

/** Keys of the operator's credentials Secret. */
const API_KEY_KEY = 'TWINGATE_API_KEY';
const REMOTE_NETWORK_ID_KEY = 'TWINGATE_REMOTE_NETWORK_ID';

/**
 * Connector image policy: the operator follows this semver range on a schedule (no `latest`,
 * no Argo CD diff when the image moves). @default "^1.0.0", checked daily at 03:00 UTC
 */
const CONNECTOR_IMAGE_POLICY = { provider: 'dockerhub', schedule: '0 3 * * *', version: '^1.0.0' } as const;

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml / values.schema.json of twingate-operator 2.0.0; only what we set)

interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

interface TwingateOperatorValues {
  /** Pins the pods' `app.kubernetes.io/name` (network policies select on it). */
  readonly nameOverride: string;
  readonly twingateOperator: {
    /** Tenant slug (required by the schema). */
    readonly network: string;
    /** The API key (Read/Write/Provision) from an existing Secret; `apiKey` (a value) is never set. */
    readonly existingAPIKeySecret: SecretKeyRef;
    /** Exactly one of remoteNetworkId / remoteNetworkName / existingRemoteNetworkIdSecret. */
    readonly existingRemoteNetworkIdSecret: SecretKeyRef;
    readonly logFormat: 'json' | 'plain' | 'full';
    /** Namespaces the operator watches (globs allowed); ours only. */
    readonly namespaces: readonly string[];
  };
  /** The bundled gateway subchart stays off: the twingate-access-gateway component installs the gateway chart. */
  readonly gateway: { readonly enabled: false };
  readonly resources: ResourceRequirements;
}

export function operatorValues(env: Environment): TwingateOperatorValues {
  const tg = resolveTwingate(env);
  return {
    nameOverride: OPERATOR_RELEASE,
    twingateOperator: {
      network: tg.network,
      existingAPIKeySecret: { name: tg.secrets.operatorSecret, key: API_KEY_KEY },
      existingRemoteNetworkIdSecret: { name: tg.secrets.operatorSecret, key: REMOTE_NETWORK_ID_KEY },
      logFormat: 'json',
      namespaces: [tg.namespace],
    },
    gateway: { enabled: false },
    resources: withEphemeralStorage({ requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } }),
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Metadata names of the operator-managed connectors: `twingate-connector-1`, `-2`, ... */
function operatorConnectorNames(env: Environment): string[] {
  const tg = resolveTwingate(env);
  const replicas = tg.connectors.mode === 'operator' ? tg.connectors.replicas : 0;
  return Array.from({ length: replicas }, (_, i) => `twingate-connector-${i + 1}`);
}

/**
 * What the operator and the connectors need besides DNS: connectors dial the Twingate
 * controller and relays (the internet only, never private ranges); the operator reaches the
 * API server and the Twingate API.
 */
function operatorFlows(env: Environment): FlowInput[] {
  const ns = resolveTwingate(env).namespace;
  const connector = `${ns}/${WORKLOADS.connector}`;
  const operator = `${ns}/${WORKLOADS.operator}`;
  const p2p = CONNECTOR_P2P_EGRESS;
  return [
    ...CONNECTOR_EGRESS.map((e) => ({ from: connector, to: INTERNET, port: e.port, ...(e.endPort ? { endPort: e.endPort } : {}), description: e.description })),
    ...(resolveTwingate(env).connectors.peerToPeer
      ? [{ from: connector, to: INTERNET, port: p2p.port, endPort: p2p.endPort, protocol: p2p.protocol, description: p2p.description }]
      : []),
    ...toApiServer(env, operator, 'operator to the Kubernetes API server'),
    { from: operator, to: INTERNET, port: 443, description: 'operator to the Twingate API' },
  ];
}

export const twingateOperator = {
  name: 'twingate-operator',
  settings: twingateSettings,
  // Its credentials come through an ExternalSecret, read from the store external-secrets provides.
  requires: ['external-secrets'],
  namespace: (env) => resolveTwingate(env).namespace,
  chart: {
    repository: OPERATOR_CHART_REPO,
    chart: 'twingate-operator',
    version: '2.0.0',
    releaseName: OPERATOR_RELEASE,
    values: operatorValues,
  },
  operatorFields: TWINGATE_OPERATOR_FIELDS,
  scoreExceptions: [
    PINNED_IMAGE_PULL_POLICY,
    UPSTREAM_USER_ID,
    {
      check: 'pod-probes-identical',
      reason: "the chart probes kopf's single /healthz for liveness and readiness; a single-replica operator behind no Service has no traffic to shed",
      kinds: ['Deployment'],
    },
  ],
  // Connector pods are the operator's (TwingateConnectors) or the connector chart's; either
  // way they carry the same labels and need the same flows.
  workloads: (env) => [connectorWorkload(resolveTwingate(env)), operatorWorkload(resolveTwingate(env).namespace)],
  flows: operatorFlows,
  render(chart, env) {
    const tg = resolveTwingate(env);
    const ns = tg.namespace;
    const plan = accessPlan(env);

    externalSecret(chart, {
      name: tg.secrets.operatorSecret,
      namespace: ns,
      store: tg.secrets.store,
      data: { [API_KEY_KEY]: { path: tg.secrets.apiKeyPath }, [REMOTE_NETWORK_ID_KEY]: { path: tg.secrets.remoteNetworkIdPath } },
    });

    for (const name of operatorConnectorNames(env)) {
      new TwingateConnector(chart, `connector-${name}`, {
        metadata: crMetadata(name, ns, WAVES.twingate, labels),
        spec: {
          imagePolicy: { ...CONNECTOR_IMAGE_POLICY, provider: TwingateConnectorSpecImagePolicyProvider.DOCKERHUB },
          hasStatusNotificationsEnabled: true,
          podLabels: { ...CONNECTOR_LABELS },
          // Spread connectors over nodes so one node loss keeps the network reachable.
          podExtra: {
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...CONNECTOR_LABELS } } } },
                ],
              },
            },
          },
        },
      });
    }

    for (const r of plan.resources) {
      new TwingateResource(chart, `resource-${r.name}`, {
        metadata: crMetadata(r.name, ns, WAVES.twingate, labels),
        spec: {
          name: r.displayName,
          address: r.address,
          alias: r.alias,
          protocols: {
            allowIcmp: false,
            tcp: { policy: TwingateResourceSpecProtocolsTcpPolicy.RESTRICTED, ports: r.tcp.map((p) => ({ start: p, end: p })) },
            udp: { policy: TwingateResourceSpecProtocolsUdpPolicy.RESTRICTED, ports: r.udp.map((p) => ({ start: p, end: p })) },
          },
        },
      });
    }

    for (const g of plan.groups.filter((x) => x.kind === 'managed')) {
      // Scoped per environment (`<env>: <group>`) so environments sharing a tenant never collide.
      new TwingateGroup(chart, `group-${g.slug}`, { metadata: crMetadata(g.slug, ns, WAVES.twingate, labels), spec: { name: g.twingateName } });
    }

    for (const a of plan.appAccess) renderAccess(chart, a, ns);
  },
} satisfies Component;
