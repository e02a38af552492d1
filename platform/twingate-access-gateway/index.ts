/**
 * The twingate-access-gateway component: `kubectl` as your Twingate identity.
 *
 * - The upstream `gateway` chart (rendered into dist/ by synth) runs the L7 proxy
 *   with TLS from an existing Secret; its own Twingate custom resources are off, so nothing
 *   depends on Helm `lookup` (which `helm template` cannot run).
 * - This component renders the rest as typed, tested data: the cert-manager Certificate whose
 *   SANs cover every address and alias clients dial, the TwingateCertificateAuthority and
 *   TwingateGateway, the Kubernetes-type TwingateResource (alias per cluster), its access
 *   grants, the RBAC that maps Twingate groups to ClusterRoles, and the gateway's
 *   ServiceAccount (the chart binds it to its impersonation ClusterRole).
 */
import { k8s } from 'cdk8s-plus-28';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
} from '../../imports/certmanager-certificates-cert-manager.io';
import { TwingateCertificateAuthority, TwingateCertificateAuthoritySpecType } from '../../imports/twingate-certificateauthority-twingate.com';
import { TwingateGateway } from '../../imports/twingate-gateway-twingate.com';
import { TwingateResource, TwingateResourceSpecType } from '../../imports/twingate-resource-twingate.com';
import { toApiServer } from '../../lib/cluster';
import { type Component, PINNED_IMAGE_PULL_POLICY, type ScoreException } from '../../lib/component';
import type { Environment, FlowInput } from '../../lib/environment';
import type { ApiObject } from '../../lib/output';
import { renderBindings } from '../shared/access-bindings';
import { crMetadata, WAVES } from '../shared/sync-waves';
import { accessPlan, KUBERNETES_RESOURCE } from '../twingate/access';
import { labels, type ResourceRequirements, renderAccess, UPSTREAM_USER_ID, withEphemeralStorage } from '../twingate/render';
import { GATEWAY_LABELS, GATEWAY_PORTS, GATEWAY_RELEASE, gatewayWorkload, INTERNET, resolveTwingate, twingateSettings, WORKLOADS } from '../twingate/settings';

/** The gateway chart (the operator chart's subchart, published alongside it). */
const GATEWAY_CHART_REPO = 'oci://ghcr.io/twingate/helmcharts';
/** Port the gateway Service exposes (chart `service.port`); the TwingateGateway points at it. */
const GATEWAY_SERVICE_PORT = 443;
/** Secret cert-manager writes (tls.crt, tls.key, ca.crt); the gateway serves it, the CA resource reads ca.crt. */
const GATEWAY_TLS_SECRET = 'twingate-gateway-tls';
const GATEWAY_CA = 'twingate-gateway-ca';
/** The gateway's ServiceAccount, created here (not by the chart) so its RBAC is in dist/. */
const GATEWAY_SERVICE_ACCOUNT = GATEWAY_RELEASE;
/** The impersonation ClusterRole the chart always renders (`<serviceAccountName>-cluster-role`). */
export const GATEWAY_CLUSTER_ROLE = `${GATEWAY_SERVICE_ACCOUNT}-cluster-role`;

interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/**
 * What the gateway may impersonate. Users: anyone (Twingate sends the signed-in user's email,
 * unknown in advance). Groups: exactly those with a role in the access table, plus the
 * identities the gateway adds to every request, by `resourceNames`, so never `system:masters`
 * or another `system:` group (group names starting with `system:` are refused by the schema).
 * No `serviceaccounts`: the gateway forwards Twingate identities, never Kubernetes
 * ServiceAccounts (Twingate service accounts arrive as users in `twingate:service-accounts`),
 * and without it no `system:serviceaccount:...` user can be impersonated.
 */
export function gatewayImpersonationRules(env: Environment): PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
    { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: [...accessPlan(env).impersonatedGroups] },
  ];
}

/** Replaces the rules of the chart's broad ClusterRole (impersonate any user, group or ServiceAccount) with the narrow ones. */
function narrowImpersonation(objects: readonly ApiObject[], env: Environment): ApiObject[] {
  const isRole = (o: ApiObject) => o.kind === 'ClusterRole' && o.metadata.name === GATEWAY_CLUSTER_ROLE;
  const found = objects.filter(isRole).length;
  if (found !== 1) throw new Error(`internal: the gateway chart rendered ${found} ClusterRoles ${GATEWAY_CLUSTER_ROLE}, expected 1; review chartPatches`);
  return objects.map((o) => (isRole(o) ? ({ ...o, rules: gatewayImpersonationRules(env) } as ApiObject) : o));
}

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml / values.schema.json of gateway 1.0.0; only what we set)

interface GatewayValues {
  /** Pins fullname and the pods' `app.kubernetes.io/name` to the release name. */
  readonly nameOverride: string;
  readonly twingate: { readonly network: string };
  readonly twingateOperator: {
    readonly gateway: {
      /** Off: this component renders the TwingateGateway and its CA itself. */
      readonly enabled: false;
      /** Set anyway: with it empty the chart derives the name through `lookup`. */
      readonly certificateAuthority: { readonly name: string };
    };
    readonly kubernetesResource: { readonly enabled: false };
  };
  /** Proxy the in-cluster API server with the pod's ServiceAccount. */
  readonly kubernetes: { readonly enabled: true };
  readonly tls: { readonly existingSecret: string; readonly autoGenerated: { readonly enabled: false } };
  readonly serviceAccount: { readonly create: false; readonly name: string };
  readonly replicaCount: number;
  readonly clusterDomain: string;
  readonly service: { readonly type: 'ClusterIP'; readonly port: number };
  readonly containerPorts: { readonly https: number; readonly metrics: number };
  readonly resources: ResourceRequirements;
  /** With two replicas or more: at most one evicted at a time (the chart's own PodDisruptionBudget). */
  readonly pdb?: { readonly create: true; readonly maxUnavailable: 1 };
  /** With two replicas or more: prefer spreading them over nodes. */
  readonly affinity?: object;
}

export function gatewayValues(env: Environment): GatewayValues {
  const tg = resolveTwingate(env);
  return {
    nameOverride: GATEWAY_RELEASE,
    twingate: { network: tg.network },
    twingateOperator: {
      gateway: { enabled: false, certificateAuthority: { name: caName(env) } },
      kubernetesResource: { enabled: false },
    },
    kubernetes: { enabled: true },
    tls: { existingSecret: GATEWAY_TLS_SECRET, autoGenerated: { enabled: false } },
    serviceAccount: { create: false, name: GATEWAY_SERVICE_ACCOUNT },
    replicaCount: tg.gateway.replicas,
    clusterDomain: env.cluster.domain,
    service: { type: 'ClusterIP', port: GATEWAY_SERVICE_PORT },
    containerPorts: { https: GATEWAY_PORTS.https!.containerPort, metrics: GATEWAY_PORTS.metrics!.containerPort },
    resources: withEphemeralStorage({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } }),
    ...(tg.gateway.replicas >= 2
      ? {
          pdb: { create: true, maxUnavailable: 1 },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...GATEWAY_LABELS } } } },
              ],
            },
          },
        }
      : {}),
  };
}

/** Name the CA is registered under in Twingate: unique across the network, immutable. */
function caName(env: Environment): string {
  return `${env.cluster.name}-gateway-ca`;
}

/**
 * Every hostname the Twingate client (outer TLS) or kubectl (inner TLS) may dial: the
 * Kubernetes resource's address and alias, plus the short in-cluster names the chart's own
 * certificate would carry.
 */
function gatewaySans(env: Environment): string[] {
  const tg = resolveTwingate(env);
  const names = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', tg.kubernetesAddress, tg.gatewayAlias];
  return [...new Set(names)];
}

/** kubectl sessions arrive from the connectors; the gateway calls the API server and the Twingate controller. */
function gatewayFlows(env: Environment): FlowInput[] {
  const ns = resolveTwingate(env).namespace;
  const gateway = `${ns}/${WORKLOADS.gateway}`;
  return [
    { from: `${ns}/${WORKLOADS.connector}`, to: gateway, port: 'https', description: 'kubectl sessions: connector to the access gateway' },
    ...toApiServer(env, gateway, 'access gateway to the Kubernetes API server'),
    { from: gateway, to: INTERNET, port: 443, description: 'access gateway to the Twingate controller (token keys)' },
  ];
}

/** What kube-score flags on the upstream gateway chart's Deployment, and why it stays. */
function gatewayScoreExceptions(env: Environment): ScoreException[] {
  const replicas = resolveTwingate(env).gateway.replicas;
  const deployment = { kinds: ['Deployment'], names: [GATEWAY_RELEASE] };
  return [
    PINNED_IMAGE_PULL_POLICY,
    { ...UPSTREAM_USER_ID, ...deployment },
    {
      check: 'pod-probes-identical',
      reason: 'the gateway chart 1.0.0 probes one /healthz for both and merges values into it (no other handler can be set)',
      ...deployment,
    },
    ...(replicas < 2
      ? [
          {
            check: 'deployment-replicas',
            reason: `this environment runs ${replicas} gateway replica (twingate.gateway.replicas); kubectl access is not its availability target`,
            ...deployment,
          },
        ]
      : []),
  ];
}

export const twingateAccessGateway = {
  name: 'twingate-access-gateway',
  settings: twingateSettings,
  // The operator reconciles its Twingate objects; cert-manager issues its serving certificate.
  requires: ['twingate-operator', 'cert-manager'],
  namespace: (env) => resolveTwingate(env).namespace,
  chart: {
    repository: GATEWAY_CHART_REPO,
    chart: 'gateway',
    version: '1.0.0',
    releaseName: GATEWAY_RELEASE,
    values: gatewayValues,
  },
  chartPatches: narrowImpersonation,
  workloads: (env) => [gatewayWorkload(resolveTwingate(env).namespace)],
  flows: gatewayFlows,
  scoreExceptions: gatewayScoreExceptions,
  render(chart, env) {
    const tg = resolveTwingate(env);
    const ns = tg.namespace;
    const cert = tg.certificate;

    new Certificate(chart, 'certificate', {
      metadata: crMetadata(GATEWAY_TLS_SECRET, ns, WAVES.certificate, labels),
      spec: {
        secretName: GATEWAY_TLS_SECRET,
        issuerRef: { name: cert.issuer.name, kind: cert.issuer.kind, group: cert.issuer.group },
        commonName: GATEWAY_RELEASE,
        dnsNames: gatewaySans(env),
        duration: cert.duration,
        renewBefore: cert.renewBefore,
        privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
        usages: [CertificateSpecUsages.SERVER_AUTH, CertificateSpecUsages.DIGITAL_SIGNATURE],
      },
    });

    new TwingateCertificateAuthority(chart, 'ca', {
      metadata: crMetadata(GATEWAY_CA, ns, WAVES.twingate, labels),
      spec: { name: caName(env), type: TwingateCertificateAuthoritySpecType.X509, secretRef: { name: GATEWAY_TLS_SECRET, namespace: ns } },
    });
    new TwingateGateway(chart, 'gateway', {
      metadata: crMetadata(GATEWAY_RELEASE, ns, WAVES.twingate, labels),
      spec: {
        serviceRef: { name: GATEWAY_RELEASE, namespace: ns, port: GATEWAY_SERVICE_PORT },
        x509CertificateAuthorityRef: { name: GATEWAY_CA, namespace: ns },
      },
    });
    new TwingateResource(chart, 'kubernetes-resource', {
      metadata: crMetadata(KUBERNETES_RESOURCE, ns, WAVES.twingate, labels),
      spec: {
        name: tg.kubernetesResourceName,
        type: TwingateResourceSpecType.KUBERNETES,
        address: tg.kubernetesAddress,
        alias: tg.gatewayAlias,
        gatewayRef: { name: GATEWAY_RELEASE, namespace: ns },
      },
    });

    const plan = accessPlan(env);
    // Only groups granted the Kubernetes resource are forwarded by the gateway, so every
    // group with a role also gets access to the resource.
    for (const a of plan.kubernetesAccess) renderAccess(chart, a, ns);

    renderBindings(chart, plan.bindings, labels);

    new k8s.KubeServiceAccount(chart, 'service-account', { metadata: { name: GATEWAY_SERVICE_ACCOUNT, namespace: ns, labels } });
  },
} satisfies Component;
