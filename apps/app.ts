/**
 * An app component: ServiceAccount, Deployment and ClusterIP Service for one entry of the
 * environment's `apps`. Every pod meets Pod Security "restricted"; the network side lives in
 * the network-policy component, driven by the environment's flows.
 */
import { k8s } from 'cdk8s-plus-28';
import { appRoleName } from '../lib/aws-access';
import { COMMON_LABELS, type Component, EPHEMERAL_STORAGE, PINNED_IMAGE_PULL_POLICY, RESTRICTED_CONTAINER, type ScoreException } from '../lib/component';
import { type Environment, NAME_LABEL } from '../lib/environment';
import { identityOfApp, workloadIdentityOf } from '../lib/workload-identity';
import { PROBE_LABEL } from '../platform/probes';

/** UID/GID apps run as: the conventional unprivileged "nonroot" user of distroless images. */
const APP_UID = 65532;

/** The ServiceAccount an app's pods run as: named after the app, in its namespace (what Pod Identity and SPIFFE IDs bind to). */
export function appServiceAccount(env: Pick<Environment, 'apps'>, appName: string): { namespace: string; name: string } {
  return { namespace: env.apps[appName]!.namespace, name: appName };
}

/** Where an app with a SPIFFE identity finds the SPIRE agent's Workload API (a `csi.spiffe.io` volume, allowed under restricted). */
export const SPIFFE_SOCKET_DIR = '/spiffe-workload-api';
const SPIFFE_VOLUME = 'spiffe-workload-api';
/** Annotation on an app's ServiceAccount naming the IAM role EKS Pod Identity binds it to. */
export const AWS_ROLE_ANNOTATION = 'zt-eks-gitops/aws-role';

/**
 * Environment variables of an app with a SPIFFE identity: the Workload API socket (the go-spiffe
 * and java-spiffe convention), its own ID, and the peers the environment authorizes over mTLS
 * (the server accepts exactly these client IDs; the client expects exactly these server IDs).
 */
export function spiffeEnv(env: Environment, appName: string): { name: string; value: string }[] {
  const self = identityOfApp(env, appName);
  if (!self) return [];
  const mtls = workloadIdentityOf(env)!.mtls;
  const ids = (list: string[]) => [...new Set(list)].sort().join(',');
  const clients = ids(mtls.filter((m) => m.server.app === appName).map((m) => m.client.spiffeId));
  const servers = ids(mtls.filter((m) => m.client.app === appName).map((m) => m.server.spiffeId));
  return [
    { name: 'SPIFFE_ENDPOINT_SOCKET', value: `unix://${SPIFFE_SOCKET_DIR}/spire-agent.sock` },
    { name: 'SPIFFE_ID', value: self.spiffeId },
    ...(clients ? [{ name: 'SPIFFE_MTLS_ALLOWED_CLIENTS', value: clients }] : []),
    ...(servers ? [{ name: 'SPIFFE_MTLS_ALLOWED_SERVERS', value: servers }] : []),
  ];
}

export function appComponent(appName: string): Component {
  return {
    name: appName,
    scoreExceptions: (env) => appScoreExceptions(appName, env.apps[appName]!.replicas),
    render(chart, env) {
      const app = env.apps[appName]!;
      const selector = { [NAME_LABEL]: appName };
      const labels = { ...COMMON_LABELS, ...selector, 'app.kubernetes.io/part-of': env.name };
      const metadata = { name: appName, namespace: app.namespace, labels };

      // EKS Pod Identity binds the app's role to this ServiceAccount (infra/src/workload-iam.ts); no token is mounted.
      const sa = appServiceAccount(env, appName);
      new k8s.KubeServiceAccount(chart, 'service-account', {
        metadata: { ...metadata, name: sa.name, ...(app.aws.length ? { annotations: { [AWS_ROLE_ANNOTATION]: appRoleName(env.name, appName) } } : {}) },
        automountServiceAccountToken: false,
      });
      const spiffe = spiffeEnv(env, appName);
      const variables = [
        ...Object.entries(app.env)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, value]) => ({ name, value })),
        ...spiffe,
      ];

      const ports = Object.entries(app.ports).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      new k8s.KubeDeployment(chart, 'deployment', {
        metadata,
        spec: {
          replicas: app.replicas,
          revisionHistoryLimit: 3,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: sa.name,
              automountServiceAccountToken: false,
              // Replicas spread over nodes when they can (one node loss keeps the app serving).
              ...(app.replicas > 1
                ? {
                    affinity: {
                      podAntiAffinity: {
                        preferredDuringSchedulingIgnoredDuringExecution: [
                          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
                        ],
                      },
                    },
                  }
                : {}),
              securityContext: {
                runAsNonRoot: true,
                runAsUser: APP_UID,
                runAsGroup: APP_UID,
                seccompProfile: { type: 'RuntimeDefault' },
              },
              containers: [
                {
                  name: appName,
                  image: app.image,
                  imagePullPolicy: 'IfNotPresent',
                  ...(app.args.length ? { args: app.args } : {}),
                  ...(variables.length ? { env: variables } : {}),
                  ...(spiffe.length ? { volumeMounts: [{ name: SPIFFE_VOLUME, mountPath: SPIFFE_SOCKET_DIR, readOnly: true }] } : {}),
                  ports: ports.map(([name, p]) => ({ name, containerPort: p.containerPort, protocol: p.protocol })),
                  resources: {
                    requests: {
                      cpu: k8s.Quantity.fromString(app.resources.requests.cpu),
                      memory: k8s.Quantity.fromString(app.resources.requests.memory),
                      'ephemeral-storage': k8s.Quantity.fromString(EPHEMERAL_STORAGE.request),
                    },
                    limits: {
                      cpu: k8s.Quantity.fromString(app.resources.limits.cpu),
                      memory: k8s.Quantity.fromString(app.resources.limits.memory),
                      'ephemeral-storage': k8s.Quantity.fromString(EPHEMERAL_STORAGE.limit),
                    },
                  },
                  securityContext: { ...RESTRICTED_CONTAINER, capabilities: { drop: [...RESTRICTED_CONTAINER.capabilities.drop] } },
                  // A TCP check works for any app; the first port is the one that serves. No liveness
                  // probe: the same TCP check would restart pods that are only busy (kube-score's
                  // pod-probes-identical), and the kubelet already restarts a container that exits.
                  readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromString(ports[0]![0]) }, periodSeconds: 10 },
                },
              ],
              // The SPIRE agent's Workload API through the SPIFFE CSI driver: no hostPath, so the pod stays restricted.
              ...(spiffe.length ? { volumes: [{ name: SPIFFE_VOLUME, csi: { driver: 'csi.spiffe.io', readOnly: true } }] } : {}),
            },
          },
        },
      });

      // Two replicas or more: a node drain evicts one at a time. Not the network probes' pods,
      // which carry the app's labels to be judged by its NetworkPolicies: a Job's pod under a
      // maxUnavailable budget stops the disruption controller ("jobs.batch does not implement
      // the scale subresource"), so no eviction is ever allowed (seen in e2e tier 2, staging).
      if (app.replicas >= 2) {
        new k8s.KubePodDisruptionBudget(chart, 'disruption-budget', {
          metadata,
          spec: {
            maxUnavailable: k8s.IntOrString.fromNumber(1),
            selector: { matchLabels: selector, matchExpressions: [{ key: PROBE_LABEL, operator: 'DoesNotExist' }] },
          },
        });
      }

      new k8s.KubeService(chart, 'service', {
        metadata,
        spec: {
          type: 'ClusterIP',
          selector,
          ports: ports.map(([name, p]) => ({
            name,
            port: p.servicePort ?? p.containerPort,
            targetPort: k8s.IntOrString.fromString(name),
            protocol: p.protocol,
          })),
        },
      });
    },
  };
}

/** What kube-score flags on an app that stays as it is, and why. */
function appScoreExceptions(appName: string, replicas: number): ScoreException[] {
  const deployment = { kinds: ['Deployment'], names: [appName] };
  return [
    PINNED_IMAGE_PULL_POLICY,
    ...(replicas < 2 ? [{ check: 'deployment-replicas', reason: `the environment runs ${replicas} replica (apps.${appName}.replicas)`, ...deployment }] : []),
  ];
}
