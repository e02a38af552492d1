/**
 * Security properties of everything rendered, whatever component it comes from: no exposed
 * Services, Pod Security "restricted" on every pod template, requests and limits, pinned
 * images, labelled namespaces.
 */
import { describe, expect, it } from 'vitest';
import type { Environment } from '../../lib/environment';
import type { ApiObject } from '../../lib/output';
import { POD_SECURITY_LEVEL } from '../../platform/namespaces';
import { privilegedNamespaces } from '../../platform/shared/pod-security';
import { EBS_STORAGE_CLASS, usesEbsVolumes } from '../../platform/shared/storage';
import { POD_SECURITY_EXCEPTION_ANNOTATION, spireSettingsOf } from '../../platform/spire';
import { environments, objectsOf } from '../support';

/**
 * The one documented Pod Security exception: the SPIRE agent namespace of an environment that
 * enables spire (the agent needs host access; see platform/spire and tests/platform/spire.test.ts,
 * which prove why and what runs there). Every other namespace is owned and restricted.
 */
function podSecurityExceptions(env: Environment): string[] {
  return env.components.includes('spire') ? [spireSettingsOf(env).agentNamespace] : [];
}

type PodSpec = {
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: { hostPath?: unknown }[];
  initContainers?: Container[];
  containers: Container[];
};
type Container = {
  name: string;
  image: string;
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
    capabilities?: { drop?: string[]; add?: string[] };
  };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
};

/** The pod template of any workload kind (or the pod itself). */
function podSpecOf(obj: ApiObject): PodSpec | undefined {
  const spec = obj.spec as Record<string, any> | undefined;
  switch (obj.kind) {
    case 'Pod':
      return spec as PodSpec;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return spec?.template?.spec;
    case 'CronJob':
      return spec?.jobTemplate?.spec?.template?.spec;
    default:
      return undefined;
  }
}

/**
 * Violations of the Pod Security "restricted" profile (plus this project's stricter rules:
 * read-only root filesystem, requests and limits, pinned images). Empty when compliant.
 */
function restrictedViolations(pod: PodSpec): string[] {
  const v: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push('host namespaces');
  if ((pod.volumes ?? []).some((vol) => vol.hostPath)) v.push('hostPath volume');
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) v.push(`${where}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${where}: allowPrivilegeEscalation not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${where}: capabilities not dropped`);
    if ((sc.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) v.push(`${where}: capabilities added`);
    if (!(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) v.push(`${where}: may run as root`);
    if (sc.runAsUser === 0) v.push(`${where}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push(`${where}: no seccomp profile`);
    if (sc.readOnlyRootFilesystem !== true) v.push(`${where}: writable root filesystem`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const r of ['cpu', 'memory']) if (c.resources?.[kind]?.[r] === undefined) v.push(`${where}: no ${r} ${kind.slice(0, -1)}`);
    }
    const tag = c.image.split('/').pop()!.split('@')[0]!.split(':')[1];
    if (!c.image.includes('@sha256:') && (tag === undefined || tag === 'latest')) v.push(`${where}: image ${c.image} not pinned`);
  }
  return v;
}

let envs: Environment[];

describe('rendered workloads', () => {
  it('loads the environments', async () => {
    envs = await environments();
    expect(envs.length).toBe(7);
  });

  it('no Service is LoadBalancer or NodePort, and none carries externalIPs', () => {
    let services = 0;
    for (const env of envs) {
      for (const o of objectsOf(env).filter((x) => x.kind === 'Service')) {
        services++;
        const spec = o.spec as { type?: string; externalIPs?: string[] };
        // ExternalName only for Tailscale egress Services (the operator points them at its proxy).
        const allowed = o.component === 'tailscale-operator' ? ['ExternalName'] : ['ClusterIP', undefined];
        expect(allowed, `${env.name} ${o.metadata.name}`).toContain(spec.type);
        expect(spec.externalIPs).toBeUndefined();
      }
    }
    expect(services).toBeGreaterThan(0);
  });

  it('every pod template meets Pod Security restricted, with requests, limits and pinned images', () => {
    let pods = 0;
    const excepted: string[] = [];
    for (const env of envs) {
      for (const o of objectsOf(env)) {
        const pod = podSpecOf(o);
        if (!pod) continue;
        if (podSecurityExceptions(env).includes(o.metadata.namespace!)) {
          excepted.push(`${env.name} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
          continue;
        }
        pods++;
        // In a namespace with a Pod Security exception (Tailscale's), the operator image's root user
        // and writable /.config are admitted (kube-score exceptions on its Deployment say why); every
        // other rule (requests, limits, pinned images, no privilege escalation, capabilities) holds.
        const admitted = privilegedNamespaces(env).has(o.metadata.namespace ?? '') ? [/may run as root/, /writable root filesystem/] : [];
        expect(
          restrictedViolations(pod).filter((v) => !admitted.some((a) => a.test(v))),
          `${env.name} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`,
        ).toEqual([]);
      }
    }
    expect(pods).toBeGreaterThan(0);
    // The exception covers exactly the SPIRE agent and CSI driver, nothing that lands there by accident.
    expect(excepted.sort()).toEqual(['urlshort DaemonSet spire-system/spire-agent', 'urlshort DaemonSet spire-system/spire-spiffe-csi-driver']);
  });

  it('every owned namespace is rendered once, enforcing restricted', () => {
    for (const env of envs) {
      const all = objectsOf(env).filter((o) => o.kind === 'Namespace');
      const nss = all.filter((o) => !podSecurityExceptions(env).includes(o.metadata.name));
      expect(nss.map((n) => n.metadata.name).sort()).toEqual([...env.namespaces].sort());
      // An excepted namespace is rendered once, below restricted only with its reason on the object.
      for (const ns of all.filter((o) => podSecurityExceptions(env).includes(o.metadata.name))) {
        expect(env.namespaces).not.toContain(ns.metadata.name);
        expect((ns.metadata.annotations as Record<string, string>)[POD_SECURITY_EXCEPTION_ANNOTATION]).toMatch(/\S/);
      }
      expect(all).toHaveLength(env.namespaces.length + podSecurityExceptions(env).length);
      for (const ns of nss) {
        const labels = ns.metadata.labels as Record<string, string>;
        expect(labels['pod-security.kubernetes.io/enforce']).toBe(privilegedNamespaces(env).has(ns.metadata.name) ? 'privileged' : POD_SECURITY_LEVEL);
        expect(POD_SECURITY_LEVEL).toBe('restricted');
        expect(labels['kubernetes.io/metadata.name']).toBe(ns.metadata.name);
      }
    }
  });

  it('every namespaced object lives in a namespace the platform owns', () => {
    for (const env of envs) {
      for (const o of objectsOf(env)) {
        if (o.metadata.namespace) expect([...env.namespaces, ...podSecurityExceptions(env)], `${o.kind} ${o.metadata.name}`).toContain(o.metadata.namespace);
      }
    }
  });
});

describe('restrictedViolations (the checker itself)', () => {
  const good: PodSpec = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'c',
        image: 'example.com/app:1.2.3',
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        resources: { requests: { cpu: '1', memory: '1Mi' }, limits: { cpu: '1', memory: '1Mi' } },
      },
    ],
  };
  const withContainer = (patch: Partial<Container>): PodSpec => ({ ...good, containers: [{ ...good.containers[0]!, ...patch }] });

  it('accepts a compliant pod', () => {
    expect(restrictedViolations(good)).toEqual([]);
  });

  it.each([
    [
      'privilege escalation',
      withContainer({ securityContext: { ...good.containers[0]!.securityContext, allowPrivilegeEscalation: true } }),
      'container c: allowPrivilegeEscalation not false',
    ],
    [
      'capabilities kept',
      withContainer({ securityContext: { ...good.containers[0]!.securityContext, capabilities: {} } }),
      'container c: capabilities not dropped',
    ],
    [
      'writable root',
      withContainer({ securityContext: { ...good.containers[0]!.securityContext, readOnlyRootFilesystem: false } }),
      'container c: writable root filesystem',
    ],
    ['no seccomp', { ...good, securityContext: { runAsNonRoot: true } }, 'container c: no seccomp profile'],
    ['root', { ...good, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }, 'container c: may run as root'],
    ['latest image', withContainer({ image: 'example.com/app:latest' }), 'container c: image example.com/app:latest not pinned'],
    ['no limits', withContainer({ resources: { requests: { cpu: '1', memory: '1Mi' } } }), 'container c: no cpu limit'],
    ['host network', { ...good, hostNetwork: true }, 'host namespaces'],
  ])('flags %s', (_what, pod, violation) => {
    expect(restrictedViolations(pod as PodSpec)).toContain(violation);
  });
});

describe('availability of replicated workloads', () => {
  it('every Deployment with two replicas or more has a PodDisruptionBudget selecting it and prefers spreading over nodes', async () => {
    let checked = 0;
    for (const env of await environments()) {
      const objects = objectsOf(env);
      for (const d of objects.filter((o) => o.kind === 'Deployment')) {
        const spec = d.spec as { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { spec: { affinity?: unknown } } };
        if ((spec.replicas ?? 1) < 2) continue;
        checked++;
        const pdbs = objects.filter(
          (o) =>
            o.kind === 'PodDisruptionBudget' &&
            o.metadata.namespace === d.metadata.namespace &&
            Object.entries((o.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).every(
              ([k, v]) => spec.selector.matchLabels[k] === v,
            ),
        );
        expect(pdbs, `${env.name} ${d.metadata.namespace}/${d.metadata.name}`).toHaveLength(1);
        expect(JSON.stringify(spec.template.spec.affinity ?? {}), `${env.name} ${d.metadata.name}`).toContain('kubernetes.io/hostname');
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("no budget that needs its pods' controller to scale (maxUnavailable, or a percentage) selects a Job's pods, network probes included", async () => {
    type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
    const matches = (sel: Selector, labels: Record<string, string>) =>
      Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
      (sel.matchExpressions ?? []).every((e) =>
        e.operator === 'DoesNotExist'
          ? !(e.key in labels)
          : e.operator === 'Exists'
            ? e.key in labels
            : e.operator === 'In'
              ? (e.values ?? []).includes(labels[e.key] ?? '')
              : !(e.values ?? []).includes(labels[e.key] ?? ''),
      );
    let jobs = 0;
    const found: string[] = [];
    for (const env of await environments()) {
      const objects = objectsOf(env);
      const jobPods = objects
        .filter((o) => o.kind === 'Job')
        .map((o) => ({
          o,
          labels: ((o.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata?.labels ?? {}) as Record<string, string>,
        }));
      jobs += jobPods.length;
      for (const b of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
        const spec = b.spec as { maxUnavailable?: unknown; minAvailable?: unknown; selector: Selector };
        if (spec.maxUnavailable === undefined && !String(spec.minAvailable ?? '').endsWith('%')) continue;
        for (const j of jobPods.filter((j) => j.o.metadata.namespace === b.metadata.namespace && matches(spec.selector, j.labels))) {
          found.push(`${env.name}: PodDisruptionBudget ${b.metadata.namespace}/${b.metadata.name} selects the pods of Job ${j.o.metadata.name}`);
        }
      }
    }
    expect(jobs).toBeGreaterThan(10);
    expect(found).toEqual([]);
  });

  it('every volume claim names a StorageClass its environment renders: a new EKS cluster has no default one and no provisioner', async () => {
    let claims = 0;
    for (const env of await environments()) {
      const objects = objectsOf(env);
      const classes = new Map(objects.filter((o) => o.kind === 'StorageClass').map((o) => [o.metadata.name, o as unknown as { provisioner: string }]));
      const templates = objects.flatMap((o) =>
        o.kind === 'StatefulSet'
          ? ((o.spec as { volumeClaimTemplates?: { metadata: { name: string }; spec: { storageClassName?: string } }[] }).volumeClaimTemplates ?? []).map(
              (t) => ({
                where: `${env.name} StatefulSet ${o.metadata.namespace}/${o.metadata.name} claim ${t.metadata.name}`,
                storageClassName: t.spec.storageClassName,
              }),
            )
          : o.kind === 'PersistentVolumeClaim'
            ? [
                {
                  where: `${env.name} PersistentVolumeClaim ${o.metadata.namespace}/${o.metadata.name}`,
                  storageClassName: (o.spec as { storageClassName?: string }).storageClassName,
                },
              ]
            : [],
      );
      for (const t of templates) {
        claims++;
        expect(t.storageClassName, t.where).toBe(EBS_STORAGE_CLASS);
        expect(classes.get(EBS_STORAGE_CLASS)?.provisioner, t.where).toBe('ebs.csi.aws.com');
      }
      // And only where infra installs the EBS CSI driver.
      expect(classes.size > 0, env.name).toBe(usesEbsVolumes(env));
    }
    expect(claims).toBeGreaterThan(0);
  });
});
