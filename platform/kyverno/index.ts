/**
 * The kyverno component: the upstream Kyverno chart (rendered by synth, its CRDs included) reduced
 * to the admission controller, plus the SigV4 injection policy and the callers' proxy
 * configuration ({@link injectionPolicy}, platform/kyverno/sigv4.ts). Enabled by the cluster's
 * VPC Lattice view when it lists at least one caller: Kyverno runs only where it injects.
 *
 * Only the admission controller: the policy mutates Pods at admission, so the background,
 * cleanup and reports controllers (mutate-existing, generate, cleanup policies, policy reports)
 * would be pods, RBAC and flows for nothing. No Helm hooks either: the CRD-migration and
 * webhook-cleanup Jobs are Helm's upgrade and uninstall steps, which Argo CD does not run as
 * such, and each would need its own images, RBAC and flows. See docs/sigv4.md.
 */
import { ApiObject } from 'cdk8s';
import { fromApiServer, POD_IDENTITY_AGENT, toApiServer } from '../../lib/cluster';
import { type Component, PINNED_IMAGE_PULL_POLICY, type WorkloadRef } from '../../lib/component';
import type { Environment, FlowInput } from '../../lib/environment';
import { crMetadata, WAVES } from '../shared/sync-waves';
import { type LatticeView, latticeOf, latticeSettings } from '../vpc-lattice/settings';
import { injectionPolicy, proxyConfigMap, sortedCallers } from './sigv4';

const CHART_REPO = 'https://kyverno.github.io/kyverno';
export const RELEASE = 'kyverno';
export const KYVERNO_NAMESPACE = 'kyverno';
export const KYVERNO_COMPONENT = 'kyverno';

/** The admission controller's webhook port (container port `https`; Service `kyverno-svc` 443 targets it). */
export const WEBHOOK_PORT = 9443;
/**
 * Kyverno's documented minimum for high availability: the admission controller elects a leader
 * for its certificate and webhook work, and serves admission from every replica.
 */
export const ADMISSION_REPLICAS = 3;

/** The admission controller's pod selector, as the chart renders it. */
export const ADMISSION_LABELS = {
  'app.kubernetes.io/component': 'admission-controller',
  'app.kubernetes.io/instance': RELEASE,
  'app.kubernetes.io/part-of': RELEASE,
} as const;

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml of kyverno 3.9.0; only what we set)

interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string; readonly 'ephemeral-storage': string };
  readonly limits: { readonly cpu: string; readonly memory: string; readonly 'ephemeral-storage': string };
}
const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): Resources => ({
  requests: { cpu, memory, 'ephemeral-storage': '64Mi' },
  limits: { cpu: cpuLimit, memory: memoryLimit, 'ephemeral-storage': '256Mi' },
});
const off = { enabled: false } as const;

export interface KyvernoValues {
  /**
   * Kyverno's ClusterRoles are not aggregated into the built-in `admin` and `view` roles: the
   * access table's `admin` in an app namespace would otherwise let people write namespaced
   * Kyverno policies there, which mutate that namespace's Pods. Policies come from git only.
   */
  readonly rbac: { readonly roles: { readonly aggregate: { readonly admin: false; readonly view: false } } };
  /** CRDs from the chart (kyverno.io, policies.kyverno.io, reports); the post-upgrade migration hook off. */
  readonly crds: { readonly install: true; readonly migration: typeof off };
  /** The pre-delete Jobs (scale to zero, remove webhooks): Helm uninstall steps Argo CD does not run. */
  readonly webhooksCleanup: typeof off;
  readonly backgroundController: typeof off;
  readonly cleanupController: typeof off;
  readonly reportsController: typeof off;
  /** No admission or policy reports: nothing reads them, and the reports controller is off. */
  readonly features: { readonly admissionReports: typeof off; readonly policyReports: typeof off };
  /** Kyverno's webhooks only see the callers' namespaces. */
  readonly config: { readonly webhooks: { readonly namespaceSelector: object } };
  readonly admissionController: {
    readonly replicas: number;
    readonly podDisruptionBudget: { readonly enabled: true; readonly minAvailable: 1 };
    readonly podSecurityContext: object;
    readonly container: { readonly resources: Resources };
    readonly initContainer: { readonly resources: Resources };
  };
}

/** The namespaces the injection policy mutates Pods in, sorted. */
export function callerNamespaces(view: Pick<LatticeView, 'callers'>): string[] {
  return [...new Set(view.callers.map((c) => c.namespace))].sort();
}

export function kyvernoValues(env: Environment): KyvernoValues {
  return {
    rbac: { roles: { aggregate: { admin: false, view: false } } },
    crds: { install: true, migration: off },
    webhooksCleanup: off,
    backgroundController: off,
    cleanupController: off,
    reportsController: off,
    features: { admissionReports: off, policyReports: off },
    config: {
      webhooks: {
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: callerNamespaces(latticeOf(env)) }] },
      },
    },
    admissionController: {
      replicas: ADMISSION_REPLICAS,
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      container: { resources: resources('100m', '128Mi', '1', '384Mi') },
      initContainer: { resources: resources('10m', '64Mi', '100m', '256Mi') },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Pods and flows

function workloads(): WorkloadRef[] {
  return [
    {
      namespace: KYVERNO_NAMESPACE,
      name: 'admission-controller',
      labels: ADMISSION_LABELS,
      ports: { https: { containerPort: WEBHOOK_PORT, protocol: 'TCP' } },
    },
  ];
}

/**
 * The admission controller watches policies and writes its webhook configurations, certificates
 * and leases through the API server; the API server calls its webhooks. Each caller's proxy
 * fetches the caller's AWS credentials from the EKS Pod Identity agent (the Lattice side, port 443
 * to the data-plane range, is a flow the environment's expansion derives).
 */
export function kyvernoFlows(env: Environment): FlowInput[] {
  const ns = KYVERNO_NAMESPACE;
  return [
    ...toApiServer(env, `${ns}/admission-controller`, 'Kyverno admission controller to the Kubernetes API server'),
    ...fromApiServer(env, `${ns}/admission-controller`, 'https', 'the Kubernetes API server calls the Kyverno admission webhooks'),
    // An app with its own AWS statements declares this flow itself (validation requires it): not twice.
    ...sortedCallers(latticeOf(env))
      .filter((c) => (env.apps[c.app]?.aws.length ?? 0) === 0)
      .map((c) => ({
        from: `${c.namespace}/${c.app}`,
        to: { cidr: POD_IDENTITY_AGENT.cidr, except: [] },
        port: POD_IDENTITY_AGENT.port,
        description: `${c.app}'s SigV4 signing proxy to the EKS Pod Identity agent (the caller's AWS credentials)`,
      })),
  ];
}

/** Whether the environment runs Kyverno: its cluster's Lattice view lists a caller. */
export const hasLatticeCallers = (env: Environment): boolean => latticeOf(env).callers.length > 0;

export const kyverno = {
  name: KYVERNO_COMPONENT,
  namespace: () => KYVERNO_NAMESPACE,
  settings: latticeSettings,
  enabled: hasLatticeCallers,
  chart: { repository: CHART_REPO, chart: 'kyverno', version: '3.9.0', releaseName: RELEASE, values: kyvernoValues },
  workloads,
  flows: kyvernoFlows,
  scoreExceptions: [PINNED_IMAGE_PULL_POLICY],
  render(chart, env) {
    const view = latticeOf(env);
    const policy = injectionPolicy(env, view) as { metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> } };
    // After the chart (CRDs and the admission controller healthy), like other components' custom resources.
    const synced = crMetadata(policy.metadata.name, undefined, WAVES.kyvernoPolicy, policy.metadata.labels);
    new ApiObject(chart, 'sigv4-policy', {
      ...policy,
      metadata: { ...synced, annotations: { ...policy.metadata.annotations, ...synced.annotations } },
    } as never);
    for (const c of sortedCallers(view)) new ApiObject(chart, `sigv4-config-${c.namespace}-${c.app}`, proxyConfigMap(env, view, c) as never);
  },
} satisfies Component;
