/**
 * An app component: ServiceAccount, Deployment and ClusterIP Service for one entry of the
 * environment's `apps`. Every pod meets Pod Security "restricted"; the network side lives in
 * the network-policy component, driven by the environment's flows.
 */
import { k8s } from 'cdk8s-plus-28';
import { COMMON_LABELS, type Component, EPHEMERAL_STORAGE, PINNED_IMAGE_PULL_POLICY, RESTRICTED_CONTAINER, type ScoreException } from '../lib/component';
import { NAME_LABEL } from '../lib/environment';

/** UID/GID apps run as: the conventional unprivileged "nonroot" user of distroless images. */
const APP_UID = 65532;

export function appComponent(appName: string): Component {
  return {
    name: appName,
    scoreExceptions: (env) => appScoreExceptions(appName, env.apps[appName]!.replicas),
    render(chart, env) {
      const app = env.apps[appName]!;
      const selector = { [NAME_LABEL]: appName };
      const labels = { ...COMMON_LABELS, ...selector, 'app.kubernetes.io/part-of': env.name };
      const metadata = { name: appName, namespace: app.namespace, labels };

      new k8s.KubeServiceAccount(chart, 'service-account', { metadata, automountServiceAccountToken: false });

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
              serviceAccountName: appName,
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
                  ...(Object.keys(app.env).length
                    ? {
                        env: Object.entries(app.env)
                          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                          .map(([name, value]) => ({ name, value })),
                      }
                    : {}),
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
            },
          },
        },
      });

      // Two replicas or more: a node drain evicts one at a time.
      if (app.replicas >= 2) {
        new k8s.KubePodDisruptionBudget(chart, 'disruption-budget', {
          metadata,
          spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
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
