/**
 * The argo-cd component: Argo CD itself, from the upstream `argo-cd` chart (rendered by synth,
 * values typed below), managed by Argo CD after the bootstrap installed it from this same
 * directory. It runs in the namespace of `argocd/config.ts` (Pod Security restricted, default
 * deny: the `namespaces` and `network-policy` components), with:
 * - no exposure beyond ClusterIP Services (reach the UI or API with `kubectl port-forward`
 *   through the access gateway), no Dex, no notifications controller, no commit server;
 * - no secret in git: `argocd-secret` is rendered without data (the server writes its key, the
 *   admin password is generated into `argocd-initial-admin-secret`), Redis' password comes from
 *   the chart's `redis-secret-init` hook Job;
 * - the chart's NetworkPolicies off: the platform's default deny plus the flows declared here
 *   (controllers and server to the API server, repo-server to the Git host, the internal flows);
 * - the health check of `argoproj.io/Application` in argocd-cm, so a parent Application waits
 *   for each wave of child Applications to be Healthy (docs/argocd.md, "Ordering").
 *
 * Argo CD's own facts (namespace, repository) come from `argocd/config.ts`; the registry passes
 * them in (components do not import the Argo CD renderers).
 */
import { toApiServer } from '../../lib/cluster';
import { type Component, PINNED_IMAGE_PULL_POLICY, type ScoreException, type WorkloadRef } from '../../lib/component';
import type { Environment, FlowInput } from '../../lib/environment';
import { type ResourceRequirements, withEphemeralStorage } from '../twingate/render';
import { INTERNET } from '../twingate/settings';

export const ARGO_CD_COMPONENT = 'argo-cd';
/** Helm release name; with the chart's `nameOverride: argocd`, objects are `argocd-<part>`. */
export const ARGO_CD_RELEASE = 'argocd';
const CHART_REPOSITORY = 'https://argoproj.github.io/argo-helm';

/** What the component needs from `argocd/config.ts`. */
export interface ArgoCdFacts {
  /** Namespace Argo CD runs in. */
  readonly namespace: string;
  /** The Git host the repo-server clones from. */
  readonly git: { readonly host: string; readonly port: number; readonly scheme: 'https' | 'ssh' };
}

/**
 * Health of an Application, as the parent Application sees its children: the child's own
 * health, Progressing until it has one. Argo CD removed this built-in check in 1.8; its docs
 * (operator-manual/health.md, "Argocd App") give this script for app of apps with sync waves.
 */
export const APPLICATION_HEALTH_LUA = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
`;
export const APPLICATION_HEALTH_KEY = 'resource.customizations.health.argoproj.io_Application';

/** The pods Argo CD runs: workload name, the chart's `app.kubernetes.io/name`, named ports flows use. */
const PARTS = {
  'application-controller': { name: 'argocd-application-controller', ports: {} },
  'applicationset-controller': { name: 'argocd-applicationset-controller', ports: {} },
  server: { name: 'argocd-server', ports: { http: 8080 } },
  'repo-server': { name: 'argocd-repo-server', ports: { 'repo-server': 8081 } },
  redis: { name: 'argocd-redis', ports: { redis: 6379 } },
  'redis-secret-init': { name: 'argocd-redis-secret-init', ports: {} },
} as const satisfies Record<string, { name: string; ports: Record<string, number> }>;
type Part = keyof typeof PARTS;

function workload(namespace: string, part: Part): WorkloadRef {
  return {
    namespace,
    name: part,
    labels: { 'app.kubernetes.io/name': PARTS[part].name, 'app.kubernetes.io/instance': ARGO_CD_RELEASE },
    ports: Object.fromEntries(Object.entries(PARTS[part].ports).map(([n, p]) => [n, { containerPort: p, protocol: 'TCP' as const }])),
  };
}

/**
 * Who talks to whom (the chart's own NetworkPolicies, which this replaces, allow the same
 * internal flows): the controllers and the server call the API server (the application
 * controller deploys into this cluster only; the secret-init Job writes the Redis Secret);
 * the repo-server clones the repository; the controller, the server and the ApplicationSet
 * controller ask the repo-server for manifests; the controller, the server and the repo-server
 * cache in Redis.
 */
function argoCdFlows(facts: ArgoCdFacts, env: Environment): FlowInput[] {
  const at = (p: Part) => `${facts.namespace}/${p}`;
  const toApi = (['application-controller', 'applicationset-controller', 'server', 'redis-secret-init'] as const).flatMap((p) =>
    toApiServer(env, at(p), `Argo CD ${p} to the Kubernetes API server`),
  );
  return [
    ...toApi,
    // NetworkPolicies take addresses, not names: the Git host is reached as the internet (private ranges excepted).
    { from: at('repo-server'), to: INTERNET, port: facts.git.port, description: `Argo CD repo-server to the Git host ${facts.git.host} (${facts.git.scheme})` },
    ...(['application-controller', 'server', 'applicationset-controller'] as const).map((p) => ({
      from: at(p),
      to: at('repo-server'),
      port: 'repo-server',
      description: `Argo CD ${p} asks the repo-server for manifests`,
    })),
    ...(['application-controller', 'server', 'repo-server'] as const).map((p) => ({
      from: at(p),
      to: at('redis'),
      port: 'redis',
      description: `Argo CD ${p} caches in Redis`,
    })),
  ];
}

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml of argo-cd 10.1.1; only what we set)

interface Part_ {
  readonly resources: ResourceRequirements;
}

interface ArgoCdValues {
  readonly global: {
    /** Off: the platform's default deny and declared flows replace the chart's policies. */
    readonly networkPolicy: { readonly create: false };
    readonly logging: { readonly format: 'json'; readonly level: 'info' };
  };
  readonly configs: {
    readonly cm: Readonly<Record<string, string | boolean>>;
    /** Rendered without data: no password or key in git; Argo CD writes its server key itself. */
    readonly secret: { readonly createSecret: true };
  };
  readonly dex: { readonly enabled: false };
  readonly notifications: { readonly enabled: false };
  readonly commitServer: { readonly enabled: false };
  readonly controller: Part_ & { readonly replicas: 1 };
  readonly server: Part_ & { readonly replicas: number; readonly service: { readonly type: 'ClusterIP' } };
  readonly repoServer: Part_ & { readonly replicas: number; readonly copyutil: Part_ };
  /** Readiness on the controller's probe port, so its Service sends nothing to a pod that is not up. */
  readonly applicationSet: Part_ & { readonly replicas: number; readonly readinessProbe: { readonly enabled: true } };
  /** The chart's readiness and liveness scripts (`redis-cli ping`, with different tolerances). */
  readonly redis: Part_ & { readonly readinessProbe: { readonly enabled: true }; readonly livenessProbe: { readonly enabled: true } };
  readonly redisSecretInit: Part_ & { readonly enabled: true };
}

const sized = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) =>
  withEphemeralStorage({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });

export function argoCdValues(): ArgoCdValues {
  return {
    global: { networkPolicy: { create: false }, logging: { format: 'json', level: 'info' } },
    configs: {
      cm: {
        [APPLICATION_HEALTH_KEY]: APPLICATION_HEALTH_LUA,
        // No terminal into pods from the UI: kubectl through the access gateway is the way in.
        'exec.enabled': false,
      },
      secret: { createSecret: true },
    },
    dex: { enabled: false },
    notifications: { enabled: false },
    commitServer: { enabled: false },
    controller: { replicas: 1, resources: sized('250m', '512Mi', '2', '2Gi') },
    server: { replicas: 1, service: { type: 'ClusterIP' }, resources: sized('50m', '128Mi', '500m', '256Mi') },
    repoServer: { replicas: 1, resources: sized('100m', '256Mi', '1', '1Gi'), copyutil: { resources: sized('10m', '32Mi', '100m', '64Mi') } },
    applicationSet: { replicas: 1, readinessProbe: { enabled: true }, resources: sized('50m', '128Mi', '500m', '256Mi') },
    redis: { readinessProbe: { enabled: true }, livenessProbe: { enabled: true }, resources: sized('50m', '64Mi', '200m', '128Mi') },
    redisSecretInit: { enabled: true, resources: sized('10m', '32Mi', '100m', '64Mi') },
  };
}

/** What kube-score flags on the upstream chart, and why it stays. */
const SCORE_EXCEPTIONS: ScoreException[] = [
  PINNED_IMAGE_PULL_POLICY,
  {
    check: 'container-security-context-user-group-id',
    reason: 'the upstream images run as the user they are built for (argocd and redis, UID 999): non-root, no privilege escalation, all capabilities dropped',
    kinds: ['Deployment', 'StatefulSet', 'Job'],
  },
  {
    check: 'deployment-replicas',
    reason:
      'one replica each (the application controller too): Argo CD only pauses syncing while a pod restarts, and no traffic depends on it (ClusterIP only, no UI exposure)',
    kinds: ['Deployment'],
  },
  {
    check: 'statefulset-has-servicename',
    reason: 'the chart runs the application controller as a StatefulSet for its shard identity only; it serves nothing, so no governing Service',
    kinds: ['StatefulSet'],
  },
];

/** The component, with Argo CD's facts from `argocd/config.ts` (read lazily, once). */
export function argoCdComponent(facts: () => ArgoCdFacts) {
  let cached: ArgoCdFacts | undefined;
  const get = () => {
    cached ??= facts();
    return cached;
  };
  return {
    name: ARGO_CD_COMPONENT,
    namespace: () => get().namespace,
    chart: {
      repository: CHART_REPOSITORY,
      chart: 'argo-cd',
      version: '10.1.1',
      releaseName: ARGO_CD_RELEASE,
      values: argoCdValues,
    },
    scoreExceptions: SCORE_EXCEPTIONS,
    // The Redis password: the chart's `redis-secret-init` Job (a PreSync hook) generates it in the
    // cluster, so no password is ever rendered into git.
    runtimeObjects: () => [
      { kind: 'Secret', namespace: get().namespace, name: 'argocd-redis', why: "the chart's argocd-redis-secret-init PreSync hook Job creates it" },
    ],
    workloads: () => (Object.keys(PARTS) as Part[]).map((p) => workload(get().namespace, p)),
    flows: (env) => argoCdFlows(get(), env),
    render() {},
  } satisfies Component;
}
