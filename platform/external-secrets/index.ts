/**
 * The external-secrets component: the upstream External Secrets Operator chart (rendered by
 * synth) installed under exactly the namespace and ServiceAccount infra's EKS Pod Identity
 * association names ({@link EXTERNAL_SECRETS_SERVICE_ACCOUNT}), the ESO CRDs (the chart's
 * source ships none: they are added only to the published package, so this component delivers
 * the pinned upstream files itself, see `crds`), and the provider of secret stores: the
 * ClusterSecretStore for the environment's AWS Secrets Manager. Consumers (the Twingate
 * components) render their own ExternalSecrets against it. See docs/external-secrets.md.
 */

import { fromApiServer, POD_IDENTITY_AGENT, toApiServer, toAwsEndpoints } from '../../lib/cluster';
import { type Component, PINNED_IMAGE_PULL_POLICY, type UpstreamCrds, type WorkloadRef } from '../../lib/component';
import { type Environment, type FlowInput, NAME_LABEL } from '../../lib/environment';
import type { ChartResources, ReplicatedDeploymentValues } from '../shared/chart-values';
import { AWS_SECRET_STORE, awsSecretStore, EXTERNAL_SECRETS_SERVICE_ACCOUNT } from '../shared/external-secrets';

const CHART_REPO = 'https://charts.external-secrets.io';
export const RELEASE = 'external-secrets';
const INSTANCE = 'app.kubernetes.io/instance';
const NAMESPACE = EXTERNAL_SECRETS_SERVICE_ACCOUNT.namespace;

/**
 * The ESO CRDs at the commit the chart's CRD copies come from (external-secrets v2.9.0's
 * `config/crds/bases`), the kinds the platform uses and their cluster-wide variants.
 */
export const ESO_CRDS: UpstreamCrds = {
  name: 'external-secrets',
  baseUrl: 'https://raw.githubusercontent.com/external-secrets/external-secrets/378bdb622ed9712ef4a58370f6a17af033b7d343/config/crds/bases',
  files: [
    'external-secrets.io_clusterexternalsecrets.yaml',
    'external-secrets.io_clustersecretstores.yaml',
    'external-secrets.io_externalsecrets.yaml',
    'external-secrets.io_secretstores.yaml',
  ],
};

/** The webhook's TLS port (chart `webhook.port`), which the API server calls. */
export const WEBHOOK_PORT = 10250;

/** The chart's three Deployments, by workload name, with their pods' selector labels. */
export const ESO_WORKLOADS = {
  controller: { [NAME_LABEL]: 'external-secrets', [INSTANCE]: RELEASE },
  webhook: { [NAME_LABEL]: 'external-secrets-webhook', [INSTANCE]: RELEASE },
  'cert-controller': { [NAME_LABEL]: 'external-secrets-cert-controller', [INSTANCE]: RELEASE },
} as const;

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml of external-secrets 2.9.0; only what we set)

type DeploymentValues = ReplicatedDeploymentValues;

interface EsoValues extends DeploymentValues {
  /** Never from the chart: this component delivers the pinned upstream CRDs (the published package would add its own). */
  readonly installCRDs: false;
  /** Exactly the ServiceAccount infra's Pod Identity association names. */
  readonly serviceAccount: { readonly create: true; readonly name: string };
  /** Two controllers: one leads, the other takes over. */
  readonly leaderElect: true;
  readonly webhook: DeploymentValues;
  readonly certController: DeploymentValues;
}

const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): ChartResources => ({
  requests: { cpu, memory, 'ephemeral-storage': '64Mi' },
  limits: { cpu: cpuLimit, memory: memoryLimit, 'ephemeral-storage': '256Mi' },
});

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
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      enabled: true,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

export function externalSecretsValues(_env: Environment): EsoValues {
  return {
    installCRDs: false,
    serviceAccount: { create: true, name: EXTERNAL_SECRETS_SERVICE_ACCOUNT.name },
    leaderElect: true,
    ...deployment(ESO_WORKLOADS.controller, resources('50m', '128Mi', '500m', '512Mi')),
    webhook: deployment(ESO_WORKLOADS.webhook, resources('20m', '64Mi', '200m', '256Mi')),
    certController: deployment(ESO_WORKLOADS['cert-controller'], resources('20m', '64Mi', '200m', '256Mi')),
  };
}

// ---------------------------------------------------------------------------------------------
// Pods and flows

function workloads(): WorkloadRef[] {
  return [
    { namespace: NAMESPACE, name: 'controller', labels: ESO_WORKLOADS.controller, ports: {} },
    { namespace: NAMESPACE, name: 'webhook', labels: ESO_WORKLOADS.webhook, ports: { webhook: { containerPort: WEBHOOK_PORT, protocol: 'TCP' } } },
    { namespace: NAMESPACE, name: 'cert-controller', labels: ESO_WORKLOADS['cert-controller'], ports: {} },
  ];
}

/**
 * The three reach the API server (the controller writes Secrets, the cert-controller the
 * webhook's certificate and CA bundle, the webhook reads its certificate); the API server calls
 * the webhook; the controller reads AWS Secrets Manager through the VPC's interface endpoints,
 * with credentials from the EKS Pod Identity agent on its node.
 */
function flows(env: Environment): FlowInput[] {
  const ns = NAMESPACE;
  return [
    ...(['controller', 'webhook', 'cert-controller'] as const).flatMap((w) =>
      toApiServer(env, `${ns}/${w}`, `External Secrets ${w} to the Kubernetes API server`),
    ),
    ...fromApiServer(env, `${ns}/webhook`, 'webhook', 'the Kubernetes API server calls the External Secrets admission webhook'),
    ...toAwsEndpoints(env, `${ns}/controller`, 'External Secrets to AWS Secrets Manager and STS (VPC interface endpoints)'),
    {
      from: `${ns}/controller`,
      to: { cidr: POD_IDENTITY_AGENT.cidr, except: [] },
      port: POD_IDENTITY_AGENT.port,
      description: 'External Secrets to the EKS Pod Identity agent (its AWS credentials)',
    },
  ];
}

/** The component's name; components that `requires` it may use its secret store. */
export const EXTERNAL_SECRETS_COMPONENT = 'external-secrets';

export const externalSecrets = {
  name: EXTERNAL_SECRETS_COMPONENT,
  namespace: () => NAMESPACE,
  chart: { repository: CHART_REPO, chart: 'external-secrets', version: '2.9.0', releaseName: RELEASE, values: externalSecretsValues },
  crds: ESO_CRDS,
  workloads,
  flows,
  scoreExceptions: [PINNED_IMAGE_PULL_POLICY],
  render(chart, env) {
    // No auth block: the controller's own identity (Pod Identity) reads the environment's secrets.
    awsSecretStore(chart, { name: AWS_SECRET_STORE, region: env.aws.region, namespaces: env.namespacesRequiring[EXTERNAL_SECRETS_COMPONENT] ?? [] });
  },
} satisfies Component;
