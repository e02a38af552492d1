/**
 * The admission-policies component: `ValidatingAdmissionPolicy` objects (built into Kubernetes
 * since 1.30, no controller to run) that enforce in the cluster what synth checks in CI, so a
 * `kubectl apply` or a chart pulled in by hand cannot undo the model:
 *
 * 1. no Service of type LoadBalancer or NodePort in the namespaces the platform owns;
 * 2. pinned images (no `latest`, no floating tag, no tag-less reference; digests allowed) in
 *    Pods and pod templates there;
 * 3. those workloads restricted-compliant for the fields synth enforces;
 * 4. NetworkPolicies in app namespaces written only by the platform's Argo CD identity.
 *
 * Each policy is data ({@link admissionPolicies}): the component renders it, the tests evaluate
 * its CEL on allowed and forbidden samples. See docs/admission-policies.md.
 */
import { ApiObject, type Chart } from 'cdk8s';
import { COMMON_LABELS, type Component } from '../../lib/component';
import type { Environment } from '../../lib/environment';
import { privilegedNamespaces } from '../shared/pod-security';

export const API_VERSION = 'admissionregistration.k8s.io/v1';

/** First Kubernetes minor that serves `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy. */
export const MIN_KUBERNETES_MINOR = 30;

/**
 * The Argo CD application controller's ServiceAccount (`<namespace>/<name>`): the identity that
 * syncs dist/ into the cluster, and so the only writer of NetworkPolicies in app namespaces.
 */
export const ARGOCD_CONTROLLER = { namespace: 'argocd', name: 'argocd-application-controller' } as const;
export const ARGOCD_CONTROLLER_USER = `system:serviceaccount:${ARGOCD_CONTROLLER.namespace}:${ARGOCD_CONTROLLER.name}`;
/**
 * The namespace controller (kube-controller-manager) deletes what is left in a namespace being
 * deleted; it may delete NetworkPolicies, never create or change them.
 */
export const NAMESPACE_CONTROLLER_USER = 'system:serviceaccount:kube-system:namespace-controller';
/**
 * The garbage collector (kube-controller-manager) finishes a foreground deletion, which is how
 * Argo CD deletes: it removes the `foregroundDeletion` finalizer with an UPDATE. Denying it left
 * the NetworkPolicies of a deleted environment terminating for ever (seen in e2e tier 2); it may
 * update a NetworkPolicy only without changing its spec, so it can never widen the network.
 */
export const GARBAGE_COLLECTOR_USER = 'system:serviceaccount:kube-system:generic-garbage-collector';

/**
 * Tags that float, as synth's `isFloatingTag` (lib/environment.ts) rejects them: channel names
 * and bare majors. CEL's `matches` is RE2; this pattern is also valid JavaScript (tests).
 */
export const FLOATING_TAG = ':(latest|stable|main|master|edge|nightly|dev|develop|v?[0-9]+)$';

type Operation = 'CREATE' | 'UPDATE' | 'DELETE';
export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: Operation[];
}
export interface Validation {
  expression: string;
  message: string;
}
/** One policy as data: what the component renders and what the tests evaluate. */
export interface PolicySpec {
  name: string;
  /** Namespaces it applies in (its `namespaceSelector`). */
  namespaces: string[];
  resourceRules: ResourceRule[];
  /** Evaluated in order, each may use the ones before it as `variables.<name>`. */
  variables: { name: string; expression: string }[];
  validations: Validation[];
}

const WORKLOAD_RULES: ResourceRule[] = [
  { apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'statefulsets', 'daemonsets'], operations: ['CREATE', 'UPDATE'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'], operations: ['CREATE', 'UPDATE'] },
];

/** The pod spec of a Pod or of a workload's pod template, and all its containers. */
const POD_VARIABLES = [
  {
    name: 'podSpec',
    expression: "object.kind == 'Pod' ? object.spec : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec",
  },
  {
    name: 'containers',
    expression:
      'variables.podSpec.containers' +
      ' + (has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : [])' +
      ' + (has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])',
  },
];

/** The policies for one environment, in a stable order. Policy 4 only where the environment has apps. */
export function admissionPolicies(env: Environment): PolicySpec[] {
  const owned = [...env.namespaces].sort();
  const privileged = privilegedNamespaces(env);
  const appNamespaces = [...new Set(Object.values(env.apps).map((a) => a.namespace))].sort();
  const policies: PolicySpec[] = [
    {
      name: 'no-external-services',
      namespaces: owned,
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['services'], operations: ['CREATE', 'UPDATE'] }],
      variables: [],
      validations: [
        {
          expression: "!has(object.spec.type) || !(object.spec.type in ['LoadBalancer', 'NodePort'])",
          message: 'Services of type LoadBalancer or NodePort are not allowed in namespaces the platform owns: access goes through Twingate',
        },
      ],
    },
    {
      name: 'pinned-images',
      namespaces: owned,
      resourceRules: WORKLOAD_RULES,
      variables: POD_VARIABLES,
      validations: [
        {
          // A digest pins; otherwise the last path segment needs a tag, and the tag must not float.
          expression:
            'variables.containers.all(c,' +
            " c.image.matches('@sha256:[0-9a-f]{64}$')" +
            " || (c.image.matches(':[^/:@]+$') && !c.image.matches('" +
            FLOATING_TAG +
            "')))",
          message: 'images must be pinned: an explicit version tag or a digest (no latest, no floating tag such as stable or 1, no tag-less reference)',
        },
      ],
    },
    {
      name: 'restricted-workloads',
      // Namespaces with a Pod Security exception (platform/shared/pod-security.ts) are left out.
      namespaces: owned.filter((n) => !privileged.has(n)),
      resourceRules: WORKLOAD_RULES,
      variables: [
        ...POD_VARIABLES,
        {
          name: 'podNonRoot',
          expression:
            'has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.runAsNonRoot) && variables.podSpec.securityContext.runAsNonRoot',
        },
      ],
      validations: [
        {
          expression:
            '!(has(variables.podSpec.hostNetwork) && variables.podSpec.hostNetwork)' +
            ' && !(has(variables.podSpec.hostPID) && variables.podSpec.hostPID)' +
            ' && !(has(variables.podSpec.hostIPC) && variables.podSpec.hostIPC)',
          message: 'host namespaces (hostNetwork, hostPID, hostIPC) are not allowed',
        },
        {
          expression: 'variables.containers.all(c, !(has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged))',
          message: 'privileged containers are not allowed',
        },
        {
          expression:
            'variables.containers.all(c, has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false)',
          message: 'every container must set securityContext.allowPrivilegeEscalation: false',
        },
        {
          expression:
            "variables.containers.all(c, has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && 'ALL' in c.securityContext.capabilities.drop)",
          message: 'every container must drop ALL capabilities (securityContext.capabilities.drop: [ALL])',
        },
        {
          // The container's own setting wins over the pod's, as in Pod Security "restricted".
          expression:
            'variables.containers.all(c, (has(c.securityContext) && has(c.securityContext.runAsNonRoot)) ? c.securityContext.runAsNonRoot : variables.podNonRoot)',
          message: 'every container must run as non-root (runAsNonRoot: true on the pod or the container)',
        },
      ],
    },
  ];
  if (appNamespaces.length > 0) {
    policies.push({
      name: 'networkpolicies-from-argocd',
      namespaces: appNamespaces,
      resourceRules: [{ apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], resources: ['networkpolicies'], operations: ['CREATE', 'UPDATE', 'DELETE'] }],
      variables: [],
      validations: [
        {
          expression:
            `request.userInfo.username == '${ARGOCD_CONTROLLER_USER}'` +
            ` || (request.operation == 'DELETE' && request.userInfo.username == '${NAMESPACE_CONTROLLER_USER}')` +
            ` || (request.operation == 'UPDATE' && request.userInfo.username == '${GARBAGE_COLLECTOR_USER}' && object.spec == oldObject.spec)`,
          message: `NetworkPolicies in app namespaces are written by Argo CD (${ARGOCD_CONTROLLER.namespace}/${ARGOCD_CONTROLLER.name}) from git only`,
        },
      ],
    });
  }
  return policies;
}

/** Policy names carry the environment's name: the objects are cluster-scoped. */
export const policyName = (env: Environment, p: PolicySpec) => `zt-${env.name}-${p.name}`;

/** Whether the environment's cluster serves `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy. */
export function servesV1Policies(env: Environment): boolean {
  return Number(env.cluster.kubernetesVersion.split('.')[1]) >= MIN_KUBERNETES_MINOR;
}

/** The rendered objects for one policy: the policy and its Deny binding. */
export function policyObjects(env: Environment, p: PolicySpec): [Record<string, unknown>, Record<string, unknown>] {
  const name = policyName(env, p);
  const labels = { ...COMMON_LABELS };
  const policy = {
    apiVersion: API_VERSION,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: p.namespaces }] },
        resourceRules: p.resourceRules,
      },
      ...(p.variables.length ? { variables: p.variables } : {}),
      validations: p.validations,
    },
  };
  const binding = {
    apiVersion: API_VERSION,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels },
    spec: { policyName: name, validationActions: ['Deny'] },
  };
  return [policy, binding];
}

function render(chart: Chart, env: Environment) {
  for (const p of admissionPolicies(env)) {
    for (const o of policyObjects(env, p)) {
      const { apiVersion, kind, metadata, spec } = o as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown };
      new ApiObject(chart, `${kind}-${metadata.name}`, { apiVersion, kind, metadata, spec } as never);
    }
  }
}

export const admissionPoliciesComponent = {
  name: 'admission-policies',
  // Every cluster that serves the v1 API gets them; older ones cannot (see docs/admission-policies.md).
  enabled: servesV1Policies,
  // In force before any workload is created (docs/argocd.md, "Ordering").
  stage: 'foundation',
  render,
} satisfies Component;
