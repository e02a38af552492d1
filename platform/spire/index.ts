/**
 * The spire component: SPIRE server, controller manager, agent and SPIFFE CSI driver from the
 * upstream `spire` chart (spiffe/helm-charts-hardened, rendered by synth), plus one
 * `ClusterSPIFFEID` per declared workload identity and the agent namespace with its policies.
 *
 * Two namespaces, two Pod Security levels:
 * - the server namespace (`spire.serverNamespace`) is one the platform owns: Pod Security
 *   `restricted`, default deny, every connection a declared flow proven at synth;
 * - the agent namespace (`spire.agentNamespace`) is the documented exception. The agent reads
 *   the host's process table (`hostPID`) to attest workloads and serves the Workload API on a
 *   host directory (`hostPath` /run/spire/agent-sockets) the CSI driver (privileged, with
 *   bidirectional mount propagation into /var/lib/kubelet/pods) hands to pods. `restricted`
 *   (and `baseline`) refuse all three, so this namespace CANNOT be restricted: this component
 *   renders it itself at `privileged`, with the reason on the object, and keeps it out of
 *   `namespaces` (validation refuses it there). Its network side is still default deny: the
 *   agent runs on the pod network (kubelet reached by node IP, not `hostNetwork`), so the
 *   NetworkPolicies rendered here apply to it. Tests prove both (tests/platform/spire.test.ts).
 */
import { ApiObject, type Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { controlPlaneCidrs, KUBE_DNS, toApiServer } from '../../lib/cluster';
import { COMMON_LABELS, type Component, EPHEMERAL_STORAGE, PINNED_IMAGE_PULL_POLICY, settingsOf, type WorkloadRef } from '../../lib/component';
import { type Environment, type FlowInput, NAME_LABEL } from '../../lib/environment';
import { planSubnets } from '../../lib/subnets';
import { EBS_STORAGE_CLASS, ebsStorageClass } from '../shared/storage';
import { type SpireSettings, spireSettings } from './settings';

/** The Helm release: part of every name and label the chart renders. */
export const SPIRE_RELEASE = 'spire';

/** The chart's pod labels (its `nameOverride`s: server, agent, spiffe-csi-driver). */
const podLabels = (name: string) => ({ [NAME_LABEL]: name, 'app.kubernetes.io/instance': SPIRE_RELEASE });

/** The chart's controller manager only reconciles ClusterSPIFFEIDs of its class (`<server namespace>-<release>`). */
export const controllerClass = (s: Pick<SpireSettings, 'serverNamespace'>) => `${s.serverNamespace}-${SPIRE_RELEASE}`;

/**
 * The trust bundle ConfigMap in the agent namespace: agents read it to verify the server on first
 * contact. The server's `k8s_configmap` BundlePublisher creates and updates it at run time (the
 * chart grants it get/patch/create on exactly this name), so it is never rendered.
 */
export const BUNDLE_CONFIGMAP = 'spire-bundle';

/** Where the kubelet serves the pod list the agent's k8s workload attestor reads. */
const KUBELET_PORT = 10250;

/** Why the agent namespace runs at Pod Security `privileged`; written on the Namespace object. */
export const AGENT_NAMESPACE_REASON =
  'SPIRE agent (hostPID, hostPath socket directory) and SPIFFE CSI driver (privileged, Bidirectional mount into /var/lib/kubelet/pods): restricted and baseline refuse them; network stays default deny';

/** Annotation carrying a namespace's Pod Security exception, for reviewers. */
export const POD_SECURITY_EXCEPTION_ANNOTATION = 'zt-eks-gitops/pod-security-exception';

export const spireSettingsOf = (env: Environment) => settingsOf(env, spireSettings);

export function spireWorkloads(env: Environment): WorkloadRef[] {
  const s = spireSettingsOf(env);
  return [
    {
      namespace: s.serverNamespace,
      name: 'server',
      labels: podLabels('server'),
      ports: { grpc: { containerPort: 8081, protocol: 'TCP' }, https: { containerPort: 9443, protocol: 'TCP' } },
    },
    { namespace: s.agentNamespace, name: 'agent', labels: podLabels('agent'), ports: { healthz: { containerPort: 9982, protocol: 'TCP' } } },
    {
      namespace: s.agentNamespace,
      name: 'spiffe-csi-driver',
      labels: podLabels('spiffe-csi-driver'),
      ports: { healthz: { containerPort: 9809, protocol: 'TCP' } },
    },
  ];
}

/** Node addresses the agent dials its kubelet at: the private subnets (nodes), or the VPC when the layout is unknown. */
function nodeCidrs(env: Environment): string[] {
  return env.infra ? planSubnets(env, env.infra.availabilityZones).map((z) => z.private) : [env.network.vpcCidr];
}

/** What the SPIRE pods need besides DNS. */
export function spireFlows(env: Environment): FlowInput[] {
  const s = spireSettingsOf(env);
  const server = `${s.serverNamespace}/server`;
  const agent = `${s.agentNamespace}/agent`;
  const controlPlane = env.infra ? controlPlaneCidrs(env) : [env.network.vpcCidr];
  return [
    { from: agent, to: server, port: 'grpc', description: 'agents attest their node and fetch SVIDs from the SPIRE server' },
    ...nodeCidrs(env).map((cidr) => ({
      from: agent,
      to: { cidr, except: [] },
      port: KUBELET_PORT,
      description: 'agent to the kubelet of its node (workload attestation)',
    })),
    ...toApiServer(env, server, 'SPIRE server (token review, trust bundle) and controller manager to the Kubernetes API server'),
    ...controlPlane.map((cidr) => ({
      from: { cidr, except: [] },
      to: server,
      port: 'https',
      description: "the API server calls the controller manager's validating webhook",
    })),
  ];
}

// ---------------------------------------------------------------------------------------------
// Chart values (spire 0.30.0 values.yaml; only what we set)

interface Resources {
  readonly requests: Record<string, string>;
  readonly limits: Record<string, string>;
}
const resources = (cpu: [string, string], memory: [string, string]): Resources => ({
  requests: { cpu: cpu[0], memory: memory[0], 'ephemeral-storage': EPHEMERAL_STORAGE.request },
  limits: { cpu: cpu[1], memory: memory[1], 'ephemeral-storage': EPHEMERAL_STORAGE.limit },
});

export function spireValues(env: Environment) {
  const s = spireSettingsOf(env);
  const off = { enabled: false };
  return {
    global: {
      k8s: { clusterDomain: env.cluster.domain },
      spire: {
        clusterName: env.cluster.name,
        trustDomain: s.trustDomain,
        bundleConfigMap: BUNDLE_CONFIGMAP,
        caSubject: { country: s.caSubject.country, organization: s.caSubject.organization, commonName: `${env.name} SPIRE CA` },
        // Upstream's hardening: namespace layout, security contexts, strict mode, priority classes.
        recommendations: { enabled: true, prometheus: false },
        // Namespaces are ours: the server's by the namespaces component (restricted), the agent's by this component.
        namespaces: { create: false, server: { name: s.serverNamespace, create: false }, system: { name: s.agentNamespace, create: false } },
      },
      // Helm hooks run kubectl Jobs with cluster-wide RBAC; Argo CD applies plain YAML and needs none of them.
      installAndUpgradeHooks: off,
      deleteHooks: off,
    },
    'spire-server': {
      resources: resources(['100m', '500m'], ['128Mi', '512Mi']),
      // The datastore's claim names the platform's class: EKS has no default one (platform/shared/storage.ts).
      persistence: { storageClass: EBS_STORAGE_CLASS },
      controllerManager: {
        resources: resources(['50m', '200m'], ['64Mi', '256Mi']),
        // Only the declared identities get SVIDs: the chart's catch-all and demo ClusterSPIFFEIDs stay off.
        identities: { clusterSPIFFEIDs: { default: off, 'oidc-discovery-provider': off, 'test-keys': off } },
      },
    },
    'spire-agent': {
      // The node IP from the downward API, so the agent stays on the pod network (no hostNetwork) and
      // its NetworkPolicies apply.
      kubeletAddress: { mode: 'hostip' },
      hostNetwork: false,
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      resources: resources(['50m', '200m'], ['64Mi', '256Mi']),
    },
    'spiffe-csi-driver': { resources: resources(['20m', '100m'], ['32Mi', '64Mi']) },
    'spiffe-oidc-discovery-provider': off,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

const nsSelector = (ns: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': ns } });

/** The agent namespace: Pod Security `privileged` (see the file comment), default deny on the network. */
function renderAgentNamespace(chart: Chart, env: Environment) {
  const s = spireSettingsOf(env);
  const ns = s.agentNamespace;
  new k8s.KubeNamespace(chart, 'agent-namespace', {
    metadata: {
      name: ns,
      labels: {
        ...COMMON_LABELS,
        'kubernetes.io/metadata.name': ns,
        'pod-security.kubernetes.io/enforce': 'privileged',
        // Audit at restricted: every use of the exception stays visible in the audit log. Warn follows
        // enforce: a warning on every apply of the documented exception would bury real ones (the e2e
        // tier treats any Pod Security warning as a failure).
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'privileged',
      },
      annotations: { [POD_SECURITY_EXCEPTION_ANNOTATION]: AGENT_NAMESPACE_REASON },
    },
  });
  const meta = (name: string, flow?: string) => ({
    name,
    namespace: ns,
    labels: { ...COMMON_LABELS },
    ...(flow ? { annotations: { 'zt-eks-gitops/flow': flow } } : {}),
  });
  new k8s.KubeNetworkPolicy(chart, 'agent-default-deny', { metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  new k8s.KubeNetworkPolicy(chart, 'agent-dns', {
    metadata: meta('allow-dns-egress'),
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: nsSelector(KUBE_DNS.namespace), podSelector: { matchLabels: { ...KUBE_DNS.labels } } }],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        },
      ],
    },
  });
  // The agent's egress, one policy per flow of this component that leaves the agent namespace
  // (the network-policy component only writes policies in namespaces the platform owns).
  for (const f of env.flows.filter((x) => x.origin === spire.name && x.source.kind === 'workload' && x.source.workload.namespace === ns)) {
    const to =
      f.destination.kind === 'workload'
        ? { namespaceSelector: nsSelector(f.destination.workload.namespace), podSelector: { matchLabels: { ...f.destination.workload.labels } } }
        : f.destination.kind === 'cidr'
          ? { ipBlock: { cidr: f.destination.cidr } }
          : { namespaceSelector: nsSelector(f.destination.namespace) };
    const target = f.destination.kind === 'workload' ? f.destination.workload.name : 'kubelet';
    const suffix = f.destination.kind === 'cidr' ? `-${f.destination.cidr.replace(/[./]/g, '-')}` : '';
    const name = `allow-egress-agent-to-${target}-${f.ports.protocol.toLowerCase()}-${f.ports.port}${suffix}`;
    new k8s.KubeNetworkPolicy(chart, `agent-${name}`, {
      metadata: meta(name, `${typeof f.from === 'string' ? f.from : f.from.cidr} -> ${typeof f.to === 'string' ? f.to : f.to.cidr} : ${f.port}`),
      spec: {
        podSelector: { matchLabels: { ...(f.source as Extract<typeof f.source, { kind: 'workload' }>).workload.labels } },
        policyTypes: ['Egress'],
        egress: [{ to: [to], ports: [{ protocol: f.ports.protocol, port: k8s.IntOrString.fromNumber(f.ports.port) }] }],
      },
    });
  }
}

/** One ClusterSPIFFEID per declared identity: exactly `spiffe://<td>/ns/<ns>/sa/<sa>`, for that app's pods running as that ServiceAccount. */
export function clusterSpiffeIds(env: Environment) {
  const s = spireSettingsOf(env);
  return s.identities.map((i) => ({
    apiVersion: 'spire.spiffe.io/v1alpha1',
    kind: 'ClusterSPIFFEID',
    metadata: { name: `${i.namespace}-${i.serviceAccount}`, labels: { ...COMMON_LABELS } },
    spec: {
      className: controllerClass(s),
      // A literal ID (no template action): the ID is what the environment declares, whatever the pod says.
      spiffeIDTemplate: i.spiffeId,
      namespaceSelector: nsSelector(i.namespace),
      podSelector: { matchLabels: { [NAME_LABEL]: i.app } },
      // Registration entries also require the namespace and ServiceAccount the kubelet reports.
      workloadSelectorTemplates: [`k8s:ns:${i.namespace}`, `k8s:sa:${i.serviceAccount}`],
    },
  }));
}

export const spire = {
  name: 'spire',
  settings: spireSettings,
  requires: ['spire-crds'],
  namespace: (env) => spireSettingsOf(env).serverNamespace,
  chart: {
    repository: 'https://spiffe.github.io/helm-charts-hardened',
    chart: 'spire',
    version: '0.30.0',
    releaseName: SPIRE_RELEASE,
    values: spireValues,
  },
  scoreExceptions: [
    PINNED_IMAGE_PULL_POLICY,
    {
      check: 'container-security-context-user-group-id',
      reason: 'the upstream chart runs SPIRE as UID/GID 1000, the user its images are built for (non-root; restricted in the server namespace)',
      kinds: ['StatefulSet', 'DaemonSet'],
    },
    {
      check: 'statefulset-has-servicename',
      reason:
        'the chart gives its single-replica server no headless Service; agents and the API server reach it through the spire-server and webhook ClusterIP Services',
      kinds: ['StatefulSet'],
      names: ['spire-server'],
    },
    // The agent namespace's documented host-access exception (see the file comment and docs/workload-identity.md).
    {
      check: 'container-security-context-readonlyrootfilesystem',
      reason:
        "host-access exception: the agent's init containers run as root to prepare the host socket directory; the registrar has no security context upstream",
      kinds: ['DaemonSet'],
    },
    {
      check: 'container-security-context-privileged',
      reason:
        'host-access exception: the SPIFFE CSI driver mounts the Workload API into pods with Bidirectional propagation, which needs a privileged container',
      kinds: ['DaemonSet'],
      names: ['spire-spiffe-csi-driver'],
    },
  ],
  workloads: spireWorkloads,
  flows: spireFlows,
  runtimeObjects: (env) => [
    {
      kind: 'ConfigMap',
      namespace: spireSettingsOf(env).agentNamespace,
      name: BUNDLE_CONFIGMAP,
      why: "the SPIRE server's k8s_configmap BundlePublisher creates and updates it with the trust bundle",
    },
  ],
  render(chart, env) {
    renderAgentNamespace(chart, env);
    new ApiObject(chart, 'storage-class', ebsStorageClass({ ...COMMON_LABELS }));
    for (const o of clusterSpiffeIds(env)) new ApiObject(chart, `clusterspiffeid-${o.metadata.name}`, o);
  },
} satisfies Component;
