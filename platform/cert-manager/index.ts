/**
 * The cert-manager component: the upstream `cert-manager` chart (rendered by synth, CRDs
 * included and kept on uninstall) plus the platform's CA chain, the provider of the access
 * gateway's issuer:
 *
 *   ClusterIssuer `zt-selfsigned-root` (selfSigned)
 *     -> Certificate `twingate-gateway-ca` (isCA, in the cert-manager namespace, its Secret of the same name)
 *       -> ClusterIssuer `twingate-gateway-ca` (ca.secretName: that Secret)
 *
 * A CA issuer puts its own certificate into `ca.crt` of every Secret it issues
 * ({@link ISSUERS_WRITING_CA_CRT}); the TwingateCertificateAuthority reads `ca.crt` from the
 * gateway's Secret. See docs/cert-manager.md.
 */

import { ApiObject } from 'cdk8s';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
} from '../../imports/certmanager-certificates-cert-manager.io';
import { fromApiServer, toApiServer } from '../../lib/cluster';
import { COMMON_LABELS, type Component, PINNED_IMAGE_PULL_POLICY, type WorkloadRef } from '../../lib/component';
import { type Environment, type FlowInput, NAME_LABEL } from '../../lib/environment';
import { CERT_MANAGER_NAMESPACE, PLATFORM_CA_ISSUER } from '../shared/cert-manager';
import type { ChartResources, ReplicatedDeploymentValues } from '../shared/chart-values';
import { crMetadata, WAVES } from '../shared/sync-waves';

const CHART_REPO = 'https://charts.jetstack.io';
export const RELEASE = 'cert-manager';
const INSTANCE = 'app.kubernetes.io/instance';
const COMPONENT = 'app.kubernetes.io/component';

/** The self-signed root issuer: it only signs the CA certificate below. */
export const ROOT_ISSUER = 'zt-selfsigned-root';
/** The CA Certificate and its Secret (in the cert-manager namespace, the ClusterIssuer's cluster resource namespace). */
export const CA_CERTIFICATE = PLATFORM_CA_ISSUER;
/** The CA: 10 years, renewed a year ahead (a new CA means a new TwingateCertificateAuthority registration). @default 87600h / 8760h */
const CA_DURATION = { duration: '87600h', renewBefore: '8760h' } as const;

/**
 * The issuer types whose Secrets always carry `ca.crt`: a CA issuer writes its own certificate
 * there, a SelfSigned issuer the certificate itself (cert-manager's CA issuer docs and Secret
 * keys). Other types (ACME: a public chain only) are not relied upon for the gateway.
 */
export const ISSUERS_WRITING_CA_CRT: readonly string[] = ['ca', 'selfSigned'];

/** The webhook's TLS port (chart `webhook.securePort`), which the API server calls. */
export const WEBHOOK_PORT = 10250;

/** The three Deployments of the chart, by workload name, with their pods' selector labels. */
export const CERT_MANAGER_WORKLOADS = {
  controller: { [NAME_LABEL]: 'cert-manager', [INSTANCE]: RELEASE, [COMPONENT]: 'controller' },
  webhook: { [NAME_LABEL]: 'webhook', [INSTANCE]: RELEASE, [COMPONENT]: 'webhook' },
  cainjector: { [NAME_LABEL]: 'cainjector', [INSTANCE]: RELEASE, [COMPONENT]: 'cainjector' },
} as const;

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml of cert-manager v1.21.1; only what we set)

type DeploymentValues = ReplicatedDeploymentValues;

interface CertManagerValues extends DeploymentValues {
  /** The CRDs are chart templates, kept when the release is removed (upstream's recommendation: deleting them deletes every Certificate). */
  readonly crds: { readonly enabled: true; readonly keep: true };
  /** Leader election in cert-manager's own namespace, not kube-system (the platform does not write there). */
  readonly global: { readonly leaderElection: { readonly namespace: string } };
  /** No Prometheus here: the metrics Service and its port stay closed. */
  readonly prometheus: { readonly enabled: false };
  readonly webhook: DeploymentValues;
  readonly cainjector: DeploymentValues;
  /** The post-install Job that waits for the webhook: Argo CD's health checks do that, and a hook pod would need its own flows. */
  readonly startupapicheck: { readonly enabled: false };
}

const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): ChartResources => ({
  requests: { cpu, memory, 'ephemeral-storage': '64Mi' },
  limits: { cpu: cpuLimit, memory: memoryLimit, 'ephemeral-storage': '256Mi' },
});

/** Two replicas, at most one evicted at a time, preferably on different nodes. */
function deployment(labels: Readonly<Record<string, string>>, r: ChartResources): DeploymentValues {
  return {
    replicaCount: 2,
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
    resources: r,
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...labels } } } },
        ],
      },
    },
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  };
}

export function certManagerValues(_env: Environment): CertManagerValues {
  return {
    crds: { enabled: true, keep: true },
    global: { leaderElection: { namespace: CERT_MANAGER_NAMESPACE } },
    prometheus: { enabled: false },
    ...deployment(CERT_MANAGER_WORKLOADS.controller, resources('50m', '128Mi', '500m', '512Mi')),
    webhook: deployment(CERT_MANAGER_WORKLOADS.webhook, resources('20m', '64Mi', '200m', '128Mi')),
    cainjector: deployment(CERT_MANAGER_WORKLOADS.cainjector, resources('20m', '128Mi', '200m', '512Mi')),
    startupapicheck: { enabled: false },
  };
}

// ---------------------------------------------------------------------------------------------
// Pods and flows

function workloads(): WorkloadRef[] {
  return [
    { namespace: CERT_MANAGER_NAMESPACE, name: 'controller', labels: CERT_MANAGER_WORKLOADS.controller, ports: {} },
    {
      namespace: CERT_MANAGER_NAMESPACE,
      name: 'webhook',
      labels: CERT_MANAGER_WORKLOADS.webhook,
      ports: { https: { containerPort: WEBHOOK_PORT, protocol: 'TCP' } },
    },
    { namespace: CERT_MANAGER_NAMESPACE, name: 'cainjector', labels: CERT_MANAGER_WORKLOADS.cainjector, ports: {} },
  ];
}

/**
 * All three reach the API server (the controller issues, the cainjector writes CA bundles into
 * webhook configurations and CRDs, the webhook reads its serving CA Secret); the API server
 * calls the webhook. Nothing reaches the internet: the only issuers are self-signed and CA.
 */
function flows(env: Environment): FlowInput[] {
  const ns = CERT_MANAGER_NAMESPACE;
  return [
    ...(['controller', 'cainjector', 'webhook'] as const).flatMap((w) => toApiServer(env, `${ns}/${w}`, `cert-manager ${w} to the Kubernetes API server`)),
    ...fromApiServer(env, `${ns}/webhook`, 'https', 'the Kubernetes API server calls the cert-manager admission webhook'),
  ];
}

// ---------------------------------------------------------------------------------------------
// The CA chain

function clusterIssuer(chart: Parameters<Component['render']>[0], name: string, wave: number, spec: Record<string, unknown>): ApiObject {
  return new ApiObject(chart, `cluster-issuer-${name}`, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: crMetadata(name, undefined, wave, { ...COMMON_LABELS }),
    spec,
  } as never);
}

export const certManager = {
  name: 'cert-manager',
  namespace: () => CERT_MANAGER_NAMESPACE,
  chart: { repository: CHART_REPO, chart: 'cert-manager', version: 'v1.21.1', releaseName: RELEASE, values: certManagerValues },
  workloads,
  flows,
  scoreExceptions: [PINNED_IMAGE_PULL_POLICY],
  render(chart, env) {
    clusterIssuer(chart, ROOT_ISSUER, WAVES.rootIssuer, { selfSigned: {} });
    new Certificate(chart, 'ca-certificate', {
      metadata: crMetadata(CA_CERTIFICATE, CERT_MANAGER_NAMESPACE, WAVES.caCertificate, { ...COMMON_LABELS }),
      spec: {
        isCa: true,
        commonName: `${env.cluster.name} platform CA`,
        secretName: CA_CERTIFICATE,
        ...CA_DURATION,
        privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
        issuerRef: { name: ROOT_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    });
    clusterIssuer(chart, PLATFORM_CA_ISSUER, WAVES.caIssuer, { ca: { secretName: CA_CERTIFICATE } });
  },
} satisfies Component;
