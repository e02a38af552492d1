/**
 * The vpc-lattice component: cross-cluster service networking through Amazon VPC Lattice
 * (issue 16). Enabled by the `vpcLattice` block, which the expansion of a multi-cluster
 * environment derives for each of its clusters ({@link latticeSettings}); it renders:
 *
 * - the AWS Gateway API controller (upstream chart `aws-gateway-controller-chart`, values typed
 *   below, its seven `application-networking.k8s.aws` CRDs from the chart's `crds/`), under the
 *   ServiceAccount infra's Pod Identity association names
 *   ({@link GATEWAY_CONTROLLER_SERVICE_ACCOUNT}), its webhook certificate from cert-manager;
 * - the Gateway API standard CRDs the chart does not ship ({@link GATEWAY_API_CRDS});
 * - the cluster's view of the service network ({@link latticeObjects}): GatewayClass, Gateway,
 *   HTTPRoutes with their IAM auth policies, ServiceExports, TargetGroupPolicies, ServiceImports.
 *
 * See docs/vpc-lattice.md.
 */
import { ApiObject } from 'cdk8s';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
} from '../../imports/certmanager-certificates-cert-manager.io';
import { fromApiServer, POD_IDENTITY_AGENT, toApiServer, toAwsEndpoints } from '../../lib/cluster';
import { COMMON_LABELS, type Component, EPHEMERAL_STORAGE, PINNED_IMAGE_PULL_POLICY, type UpstreamCrds, type WorkloadRef } from '../../lib/component';
import { type Environment, type FlowInput, NAME_LABEL } from '../../lib/environment';
import type { ApiObject as RenderedObject } from '../../lib/output';
import { crMetadata, WAVES } from '../shared/sync-waves';
import { GATEWAY_CONTROLLER_SERVICE_ACCOUNT } from '../shared/vpc-lattice';
import { latticeObjects } from './objects';
import { latticeOf, latticeSettings } from './settings';

const CHART_REPO = 'oci://public.ecr.aws/aws-application-networking-k8s';
const CHART = 'aws-gateway-controller-chart';
const CHART_VERSION = 'v2.1.3';
/** Release and resource name of the controller (`fullnameOverride`): its Deployment and ClusterRole. */
export const RELEASE = 'gateway-api-controller';
const NAMESPACE = GATEWAY_CONTROLLER_SERVICE_ACCOUNT.namespace;
const INSTANCE = 'app.kubernetes.io/instance';

/**
 * The Gateway API standard channel CRDs (v1.6.1, the commit of its tag): the controller watches
 * Gateways, HTTPRoutes, GRPCRoutes, TLSRoutes and ReferenceGrants. The channel's
 * `vap_safeupgrades.yaml` is left out: it is a ValidatingAdmissionPolicy
 * (`admissionregistration.k8s.io/v1`), which Kubernetes 1.28 does not serve.
 */
export const GATEWAY_API_CRDS: UpstreamCrds = {
  name: 'gateway-api',
  baseUrl: 'https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3/config/crd/standard',
  files: [
    'gateway.networking.k8s.io_backendtlspolicies.yaml',
    'gateway.networking.k8s.io_gatewayclasses.yaml',
    'gateway.networking.k8s.io_gateways.yaml',
    'gateway.networking.k8s.io_grpcroutes.yaml',
    'gateway.networking.k8s.io_httproutes.yaml',
    'gateway.networking.k8s.io_listenersets.yaml',
    'gateway.networking.k8s.io_referencegrants.yaml',
    'gateway.networking.k8s.io_tcproutes.yaml',
    'gateway.networking.k8s.io_tlsroutes.yaml',
    'gateway.networking.k8s.io_udproutes.yaml',
  ],
};

/** The controller's webhook port (fixed in the chart's Deployment), which the API server calls. */
export const WEBHOOK_PORT = 9443;
/** The Service the chart's MutatingWebhookConfiguration names. */
const WEBHOOK_SERVICE = 'webhook-service';
/** The Secret the chart's Deployment mounts (`webhookTLS.certManager.certificateSecretName`); cert-manager writes it. */
export const WEBHOOK_SECRET = 'webhook-cert';
/** The Certificate of the webhook; the chart's webhook configuration takes its CA from it (`cert-manager.io/inject-ca-from`). */
export const WEBHOOK_CERTIFICATE = 'gateway-api-controller-webhook';
/** A self-signed Issuer of the component's own: the webhook certificate is trusted by the API server only (caBundle). */
const WEBHOOK_ISSUER = 'gateway-api-controller-selfsigned';

/** The controller's pods, as the chart labels them. */
export const CONTROLLER_LABELS = { [NAME_LABEL]: CHART, [INSTANCE]: RELEASE } as const;

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml of aws-gateway-controller-chart v2.1.3; only what we set)

interface GatewayControllerValues {
  readonly fullnameOverride: string;
  readonly serviceAccount: { readonly create: true; readonly name: string };
  /**
   * Left empty on purpose: with `REGION` unset and the instance metadata closed to pods (hop
   * limit 1, no NetworkPolicy egress to it), the controller reads `AWS_REGION` (added by
   * {@link addAwsRegion}) and looks its VPC up from `clusterName` with `eks:DescribeCluster`;
   * with `REGION` set it would ask the instance metadata for the VPC and fail to start.
   */
  readonly awsRegion: '';
  readonly awsAccountId: string;
  /** Unknown at synth (infra creates the VPC); found by `eks:DescribeCluster`, see `awsRegion`. */
  readonly clusterVpcId: '';
  readonly clusterName: string;
  /** The service network infra creates and associates with the VPC; the controller finds it by name. */
  readonly defaultServiceNetwork: string;
  /** Gateways keep their own names (each Gateway here is named after the service network). */
  readonly enableServiceNetworkOverride: false;
  /**
   * The Resource Groups Tagging API has no VPC interface endpoint, and the controller reaches
   * AWS through the VPC's endpoints only (its NetworkPolicy): it then reads tags per resource.
   */
  readonly disableTaggingServiceApi: true;
  readonly log: { readonly level: 'info' };
  readonly webhookEnabled: true;
  /** cert-manager issues the webhook certificate; otherwise the chart generates a CA and key at render time (a private key in git, new bytes every render). */
  readonly webhookTLS: { readonly certManager: { readonly enabled: true; readonly certificateName: string; readonly certificateSecretName: string } };
  /** Only the chart's `crds/` (the Lattice CRDs); no ExternalDNS here: Route 53 records come from infra. */
  readonly installExternalDNSCRD: false;
  readonly image: { readonly pullPolicy: 'IfNotPresent' };
  readonly deployment: {
    readonly replicas: number;
    readonly affinity: object;
    readonly containerSecurityContext: object;
  };
  readonly pdb: { readonly enabled: true; readonly minAvailable: 1 };
  readonly resources: object;
  readonly metrics: { readonly service: { readonly create: false; readonly type: 'ClusterIP' } };
}

export function controllerValues(env: Environment): GatewayControllerValues {
  const view = latticeOf(env);
  return {
    fullnameOverride: RELEASE,
    serviceAccount: { create: true, name: GATEWAY_CONTROLLER_SERVICE_ACCOUNT.name },
    awsRegion: '',
    awsAccountId: view.accountId,
    clusterVpcId: '',
    clusterName: env.cluster.name,
    defaultServiceNetwork: view.serviceNetwork,
    enableServiceNetworkOverride: false,
    disableTaggingServiceApi: true,
    log: { level: 'info' },
    webhookEnabled: true,
    webhookTLS: { certManager: { enabled: true, certificateName: WEBHOOK_CERTIFICATE, certificateSecretName: WEBHOOK_SECRET } },
    installExternalDNSCRD: false,
    image: { pullPolicy: 'IfNotPresent' },
    deployment: {
      // Two controllers, one leader (`--leader-elect`): a node loss does not stop reconciliation for long.
      replicas: 2,
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...CONTROLLER_LABELS } } } },
          ],
        },
      },
      // The chart's, plus a non-root user and group above the host's range: the image is a static
      // binary on distroless, which runs as any user (65532 is distroless's `nonroot`).
      containerSecurityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      },
    },
    pdb: { enabled: true, minAvailable: 1 },
    resources: {
      requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': EPHEMERAL_STORAGE.request },
      limits: { cpu: '200m', memory: '256Mi', 'ephemeral-storage': EPHEMERAL_STORAGE.limit },
    },
    metrics: { service: { create: false, type: 'ClusterIP' } },
  };
}

/**
 * The chart has no extra-env value: add `AWS_REGION` to the controller container, the region it
 * falls back to when `REGION` is empty and the instance metadata is unreachable. Throws when the
 * chart no longer renders exactly the container and the empty variables this relies on.
 */
export function addAwsRegion(objects: readonly RenderedObject[], env: Environment): RenderedObject[] {
  const isController = (o: RenderedObject) => o.kind === 'Deployment' && o.metadata.name === RELEASE;
  const found = objects.filter(isController);
  if (found.length !== 1) throw new Error(`internal: the ${CHART} chart rendered ${found.length} Deployments ${RELEASE}, expected 1; review chartPatches`);
  return objects.map((o) => {
    if (!isController(o)) return o;
    const d = structuredClone(o) as RenderedObject & {
      spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } };
    };
    const manager = d.spec.template.spec.containers.filter((c) => c.name === 'manager');
    if (manager.length !== 1)
      throw new Error(`internal: the ${CHART} Deployment has ${manager.length} containers named manager, expected 1; review chartPatches`);
    const vars = manager[0]!.env ?? [];
    for (const name of ['REGION', 'CLUSTER_VPC_ID']) {
      const v = vars.find((e) => e.name === name);
      if (v?.value !== '') throw new Error(`internal: the ${CHART} Deployment no longer sets ${name} to ""; review chartPatches`);
    }
    // Idempotent: without the charts, synth reuses the previous tree's chart output, patch included,
    // and patches it again; the region must still follow the environment.
    manager[0]!.env = [...vars.filter((e) => e.name !== 'AWS_REGION'), { name: 'AWS_REGION', value: env.aws.region }];
    return d;
  });
}

// ---------------------------------------------------------------------------------------------
// Pods and flows

function workloads(): WorkloadRef[] {
  return [{ namespace: NAMESPACE, name: 'controller', labels: CONTROLLER_LABELS, ports: { webhook: { containerPort: WEBHOOK_PORT, protocol: 'TCP' } } }];
}

/**
 * The controller watches the API server, is called by it (its pod readiness-gate webhook), and
 * manages VPC Lattice (services, listeners, rules, target groups, auth policies), reads its
 * cluster (EKS) and assumes nothing else: AWS APIs through the VPC's interface endpoints, with
 * credentials from the EKS Pod Identity agent on its node. The data plane (callers to
 * 169.254.171.0/24, Lattice to backends) is declared by the multi-cluster expansion, not here.
 */
function flows(env: Environment): FlowInput[] {
  const controller = `${NAMESPACE}/controller`;
  return [
    ...toApiServer(env, controller, 'AWS Gateway API controller to the Kubernetes API server'),
    ...fromApiServer(env, controller, 'webhook', 'the Kubernetes API server calls the AWS Gateway API controller webhook (pod readiness gates)'),
    ...toAwsEndpoints(env, controller, 'AWS Gateway API controller to VPC Lattice, EKS and STS (VPC interface endpoints)'),
    {
      from: controller,
      to: { cidr: POD_IDENTITY_AGENT.cidr, except: [] },
      port: POD_IDENTITY_AGENT.port,
      description: 'AWS Gateway API controller to the EKS Pod Identity agent (its AWS credentials)',
    },
  ];
}

// ---------------------------------------------------------------------------------------------

const labels = { ...COMMON_LABELS, 'app.kubernetes.io/part-of': 'vpc-lattice' };

export const vpcLattice = {
  name: 'vpc-lattice',
  settings: latticeSettings,
  // Present exactly in the units of a multi-cluster environment (lib/clusters.ts derives the block).
  enabled: () => true,
  // The webhook's certificate.
  requires: ['cert-manager'],
  namespace: () => NAMESPACE,
  chart: { repository: CHART_REPO, chart: CHART, version: CHART_VERSION, releaseName: RELEASE, values: controllerValues },
  crds: GATEWAY_API_CRDS,
  chartPatches: addAwsRegion,
  workloads,
  flows,
  scoreExceptions: [PINNED_IMAGE_PULL_POLICY],
  render(chart, env) {
    new ApiObject(chart, 'webhook-issuer', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      // One wave before the Certificate that names it.
      metadata: crMetadata(WEBHOOK_ISSUER, NAMESPACE, WAVES.certificate - 1, labels),
      spec: { selfSigned: {} },
    });
    new Certificate(chart, 'webhook-certificate', {
      metadata: crMetadata(WEBHOOK_CERTIFICATE, NAMESPACE, WAVES.certificate, labels),
      spec: {
        secretName: WEBHOOK_SECRET,
        issuerRef: { name: WEBHOOK_ISSUER, kind: 'Issuer', group: 'cert-manager.io' },
        commonName: `${WEBHOOK_SERVICE}.${NAMESPACE}.svc`,
        dnsNames: [`${WEBHOOK_SERVICE}.${NAMESPACE}.svc`, `${WEBHOOK_SERVICE}.${NAMESPACE}.svc.cluster.local`],
        privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
        usages: [CertificateSpecUsages.SERVER_AUTH, CertificateSpecUsages.DIGITAL_SIGNATURE],
      },
    });
    latticeObjects(chart, latticeOf(env), { gatewayNamespace: NAMESPACE, labels });
  },
} satisfies Component;
