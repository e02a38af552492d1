/**
 * Deterministic generated manifests for the benchmark and the property tests: namespaces of
 * workloads with a realistic mix of policies (default deny, DNS egress, per-app allows by
 * label, by namespace, by named port, port ranges, ipBlocks with except, matchExpressions).
 */
import { mulberry32 } from '../tests/support/prng';

/** The seeded PRNG of generated inputs (see lib/prng.ts). */
export const rng = mulberry32;

export interface GenerateOptions {
  readonly seed: number;
  readonly workloads: number;
  /** @default 0.3 */
  readonly policiesPerWorkload?: number;
  /** @default 20 */
  readonly workloadsPerNamespace?: number;
}

type Obj = Record<string, unknown>;

const TIERS = ['web', 'api', 'db', 'cache', 'worker'] as const;
const CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '0.0.0.0/0', '203.0.113.0/24', '198.51.100.0/24'];

export function generateManifests(o: GenerateOptions): Obj[] {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const perNs = o.workloadsPerNamespace ?? 20;
  const nsCount = Math.max(1, Math.ceil(o.workloads / perNs));
  const namespaces = Array.from({ length: nsCount }, (_, i) => `ns${i}`);
  const objects: Obj[] = namespaces.map((name, i) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { team: `t${i % 4}`, env: i % 2 ? 'prod' : 'dev' } },
  }));
  const apps: { ns: string; name: string; tier: string }[] = [];
  for (let i = 0; i < o.workloads; i++) {
    const ns = namespaces[i % nsCount]!;
    const tier = pick(TIERS);
    const name = `app${i}`;
    apps.push({ ns, name, tier });
    const port = 8000 + Math.floor(r() * 100);
    objects.push({
      apiVersion: 'apps/v1',
      kind: pick(['Deployment', 'Deployment', 'StatefulSet', 'DaemonSet']),
      metadata: { name, namespace: ns },
      spec: {
        template: {
          metadata: { labels: { app: name, tier } },
          spec: {
            containers: [
              {
                name,
                image: 'x:1',
                ports: [
                  { name: 'http', containerPort: port },
                  { name: 'metrics', containerPort: 9090 },
                ],
              },
            ],
          },
        },
      },
    });
  }
  const budget = Math.round(o.workloads * (o.policiesPerWorkload ?? 0.3));
  let made = 0;
  const add = (ns: string, spec: Obj) => {
    objects.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `p${made}`, namespace: ns }, spec });
    made++;
  };
  // Most namespaces are default-deny with DNS egress; the rest stay open.
  for (const ns of namespaces) {
    if (made + 2 > budget || r() < 0.2) continue;
    add(ns, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    add(ns, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { tier: 'dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }],
    });
  }
  const peer = (): Obj => {
    switch (Math.floor(r() * 5)) {
      case 0:
        return { podSelector: { matchLabels: { tier: pick(TIERS) } } };
      case 1:
        return { namespaceSelector: { matchLabels: { team: `t${Math.floor(r() * 4)}` } } };
      case 2:
        return {
          namespaceSelector: { matchLabels: { env: 'prod' } },
          podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [pick(TIERS), pick(TIERS)] }] },
        };
      case 3: {
        const cidr = pick(CIDRS);
        return cidr === '0.0.0.0/0' ? { ipBlock: { cidr, except: ['10.0.0.0/8', '192.168.0.0/16'] } } : { ipBlock: { cidr } };
      }
      default:
        return { podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: [pick(TIERS)] }] } };
    }
  };
  const ports = (): Obj[] | undefined => {
    switch (Math.floor(r() * 4)) {
      case 0:
        return [{ port: 'http' }];
      case 1:
        return [
          { port: 8000, endPort: 8049 },
          { protocol: 'UDP', port: 5000 },
        ];
      case 2:
        return [{ port: 'metrics' }, { port: 443 }];
      default:
        return undefined;
    }
  };
  while (made < budget) {
    const target = pick(apps);
    const direction = r() < 0.7 ? 'ingress' : 'egress';
    const rule: Obj = { [direction === 'ingress' ? 'from' : 'to']: [peer(), ...(r() < 0.3 ? [peer()] : [])] };
    const p = ports();
    if (p) rule.ports = p;
    add(target.ns, {
      podSelector: r() < 0.8 ? { matchLabels: { app: target.name } } : { matchLabels: { tier: target.tier } },
      ...(r() < 0.5 ? { policyTypes: [direction === 'ingress' ? 'Ingress' : 'Egress'] } : {}),
      [direction]: [rule],
    });
  }
  return objects;
}

export interface PodDumpOptions {
  readonly seed: number;
  /** Pods in the dump (about; rounded to whole workloads). */
  readonly pods: number;
}

/**
 * A cluster dump as `kubectl get` returns it: Namespaces, NetworkPolicies and live pods with
 * their status, owner references and controller labels, not pod templates. Per 50 pods a node
 * running three DaemonSets; three control-plane nodes with static pods (owned by their Node);
 * application namespaces of Deployments (pods owned by ReplicaSets, some mid-rollout with two),
 * StatefulSets (a unique `statefulset.kubernetes.io/pod-name` per pod), CronJob runs (one Job
 * per run) and bare debug pods; most namespaces default-deny with DNS, tier and ingress allows.
 */
export function generatePodDump(o: PodDumpOptions): { namespaces: Obj[]; policies: Obj[]; pods: Obj[] } {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const suffix = () => Array.from({ length: 5 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(r() * 27)]).join('');
  const uid = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  const nodeCount = Math.max(3, Math.ceil(o.pods / 50));
  const nodes = Array.from({ length: nodeCount }, (_, i) => `ip-10-0-${Math.floor(i / 250)}-${(i % 250) + 1}.ec2.internal`);
  const pods: Obj[] = [];
  let ip = 0;
  const podIp = () => {
    ip++;
    return `10.1.${Math.floor(ip / 250) % 250}.${(ip % 250) + 1}`;
  };

  const pod = (
    ns: string,
    name: string,
    labels: Record<string, string>,
    ports: Obj[],
    owner?: { kind: string; name: string; apiVersion: string },
    node?: string,
  ) => {
    const nodeName = node ?? pick(nodes);
    const address = podIp();
    const image = `registry.example.com/${labels['app.kubernetes.io/name'] ?? name}:1.${Math.floor(r() * 20)}.0`;
    const container = {
      image,
      imagePullPolicy: 'IfNotPresent',
      name: 'main',
      ...(ports.length ? { ports } : {}),
      resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: `kube-api-access-${suffix()}`, readOnly: true }],
    };
    const started = '2024-05-01T10:00:00Z';
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        annotations: { 'kubectl.kubernetes.io/restartedAt': started },
        creationTimestamp: started,
        ...(owner ? { generateName: `${owner.name}-` } : {}),
        labels,
        name,
        namespace: ns,
        ...(owner
          ? { ownerReferences: [{ apiVersion: owner.apiVersion, blockOwnerDeletion: true, controller: true, kind: owner.kind, name: owner.name, uid: uid() }] }
          : {}),
        resourceVersion: String(1000 + pods.length),
        uid: uid(),
      },
      spec: {
        containers: [container],
        dnsPolicy: 'ClusterFirst',
        enableServiceLinks: true,
        nodeName,
        preemptionPolicy: 'PreemptLowerPriority',
        priority: 0,
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        serviceAccount: 'default',
        serviceAccountName: 'default',
        terminationGracePeriodSeconds: 30,
        tolerations: [
          { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
          { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
        ],
        volumes: [
          {
            name: container.volumeMounts[0]!.name,
            projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] },
          },
        ],
      },
      status: {
        conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ lastTransitionTime: started, status: 'True', type })),
        containerStatuses: [
          {
            containerID: `containerd://${hex(64)}`,
            image,
            imageID: `${image.split(':')[0]}@sha256:${hex(64)}`,
            lastState: {},
            name: 'main',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: started } },
          },
        ],
        hostIP: `10.0.0.${(nodes.indexOf(nodeName) % 250) + 1}`,
        phase: 'Running',
        podIP: address,
        podIPs: [{ ip: address }],
        qosClass: 'Burstable',
        startTime: started,
      },
    });
  };
  const http = (port: number) => [{ containerPort: port, name: 'http', protocol: 'TCP' }];

  // kube-system: DaemonSets on every node, CoreDNS, and static control-plane pods (owned by their Node).
  for (const ds of ['aws-node', 'kube-proxy', 'ebs-csi-node']) {
    const hash = hex(10).slice(0, 9);
    for (const node of nodes) {
      pod(
        'kube-system',
        `${ds}-${suffix()}`,
        { 'app.kubernetes.io/name': ds, 'controller-revision-hash': hash, 'pod-template-generation': '1' },
        [],
        {
          kind: 'DaemonSet',
          name: ds,
          apiVersion: 'apps/v1',
        },
        node,
      );
    }
  }
  const dnsHash = hex(10);
  for (let i = 0; i < 2; i++) {
    pod(
      'kube-system',
      `coredns-${dnsHash}-${suffix()}`,
      { 'k8s-app': 'kube-dns', 'pod-template-hash': dnsHash },
      [
        { containerPort: 53, name: 'dns', protocol: 'UDP' },
        { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
      ],
      { kind: 'ReplicaSet', name: `coredns-${dnsHash}`, apiVersion: 'apps/v1' },
    );
  }
  for (const node of nodes.slice(0, 3)) {
    for (const component of ['kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler']) {
      pod('kube-system', `${component}-${node}`, { component, tier: 'control-plane' }, [], { kind: 'Node', name: node, apiVersion: 'v1' }, node);
    }
  }

  // Application namespaces until the pod budget is spent.
  const namespaces: string[] = ['kube-system', 'ingress-nginx', 'monitoring'];
  pod('ingress-nginx', `ingress-nginx-controller-${suffix()}`, { 'app.kubernetes.io/name': 'ingress-nginx' }, http(80));
  pod('monitoring', 'prometheus-0', { 'app.kubernetes.io/name': 'prometheus' }, http(9090), { kind: 'StatefulSet', name: 'prometheus', apiVersion: 'apps/v1' });
  const TIERS = ['web', 'api', 'db', 'cache', 'worker'] as const;
  for (let n = 0; pods.length < o.pods; n++) {
    const ns = `team${n}`;
    namespaces.push(ns);
    const target = Math.min(o.pods, pods.length + 150 + Math.floor(r() * 200));
    for (let w = 0; pods.length < target; w++) {
      const tier = pick(TIERS);
      const app = `${tier}-${w}`;
      const base = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/part-of': ns, tier };
      const port = tier === 'db' ? 5432 : 8080;
      const kind = r();
      if (kind < 0.65) {
        // A Deployment: pods owned by its ReplicaSet; mid-rollout, by two.
        const replicas = pick([1, 2, 3, 3, 5, 10, 20]);
        const sets = r() < 0.1 ? 2 : 1;
        for (let s = 0; s < sets; s++) {
          const hash = hex(10);
          for (let i = 0; i < replicas; i++) {
            pod(ns, `${app}-${hash}-${suffix()}`, { ...base, 'pod-template-hash': hash }, http(port), {
              kind: 'ReplicaSet',
              name: `${app}-${hash}`,
              apiVersion: 'apps/v1',
            });
          }
        }
      } else if (kind < 0.8) {
        const hash = `${app}-${hex(10)}`;
        for (let i = 0; i < pick([1, 3, 5]); i++) {
          pod(
            ns,
            `${app}-${i}`,
            { ...base, 'controller-revision-hash': hash, 'statefulset.kubernetes.io/pod-name': `${app}-${i}`, 'apps.kubernetes.io/pod-index': String(i) },
            http(port),
            {
              kind: 'StatefulSet',
              name: app,
              apiVersion: 'apps/v1',
            },
          );
        }
      } else if (kind < 0.95) {
        // A CronJob's last runs: one Job (its own workload) per run, pods with identical labels but the job's.
        for (let run = 0; run < 3; run++) {
          const job = `${app}-2851${String(2000 + run * 60 + w).padStart(4, '0')}`;
          const jobUid = uid();
          pod(
            ns,
            `${job}-${suffix()}`,
            { ...base, 'batch.kubernetes.io/controller-uid': jobUid, 'batch.kubernetes.io/job-name': job, 'controller-uid': jobUid, 'job-name': job },
            [],
            {
              kind: 'Job',
              name: job,
              apiVersion: 'batch/v1',
            },
          );
        }
      } else {
        // Bare pods (kubectl run): no owner, identical labels.
        for (let i = 0; i < 3; i++) pod(ns, `debug-${suffix()}`, { run: 'debug' }, []);
      }
    }
  }

  const policies: Obj[] = [];
  const add = (ns: string, name: string, spec: Obj) =>
    policies.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec });
  const nameOf = (ns: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': ns } });
  for (const ns of namespaces.slice(3)) {
    if (r() < 0.2) continue;
    add(ns, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    add(ns, 'dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: nameOf('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
    add(ns, 'web-from-ingress', {
      podSelector: { matchLabels: { tier: 'web' } },
      ingress: [{ from: [{ namespaceSelector: nameOf('ingress-nginx') }], ports: [{ port: 'http' }] }],
    });
    add(ns, 'api-from-web', {
      podSelector: { matchLabels: { tier: 'api' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'web' } } }], ports: [{ port: 'http' }] }],
    });
    add(ns, 'db-from-api', {
      podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'cache'] }] },
      ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'api' } } }, { podSelector: { matchLabels: { tier: 'worker' } } }] }],
    });
    add(ns, 'egress-in-namespace', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }] }] });
    add(ns, 'metrics', {
      podSelector: {},
      ingress: [
        {
          from: [{ namespaceSelector: nameOf('monitoring'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
          ports: [{ port: 9090 }],
        },
      ],
    });
    add(ns, 'internet-https', {
      podSelector: { matchLabels: { tier: 'worker' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }], ports: [{ port: 443 }] }],
    });
  }
  return {
    namespaces: namespaces.map((name, i) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name, team: `t${i % 4}` } },
    })),
    policies,
    pods,
  };
}
