/**
 * The network-policy component: default deny (ingress and egress) in every namespace the
 * platform owns, DNS egress to kube-dns only, and one explicit allow per declared flow, on
 * each side of the flow that the platform restricts.
 */
import { k8s } from 'cdk8s-plus-28';
import { KUBE_DNS } from '../../lib/cluster';
import { COMMON_LABELS, type Component, type ScoreException } from '../../lib/component';
import { describeFlow, type Endpoint, type Environment, type Protocol } from '../../lib/environment';

export const DEFAULT_DENY = 'default-deny';
export const ALLOW_DNS = 'allow-dns-egress';

type Selector = { matchLabels?: Record<string, string> };
interface PolicyPeer {
  namespaceSelector?: Selector;
  podSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicyPort {
  protocol: Protocol;
  port: number;
  endPort?: number;
}
/** A NetworkPolicy as data: what the component renders and what tests assert on. */
interface PolicySpec {
  name: string;
  namespace: string;
  podSelector: Selector;
  policyTypes: ('Ingress' | 'Egress')[];
  ingress?: { from: PolicyPeer[]; ports: PolicyPort[] }[];
  egress?: { to: PolicyPeer[]; ports: PolicyPort[] }[];
  /** The flow this allow comes from, for the annotation reviewers read. */
  flow?: string;
  /** Why the pods it selects are not in dist/ (the selected workload's `modelled`). */
  modelled?: string;
}

const modelledOf = (e: Endpoint): string | undefined => (e.kind === 'workload' ? e.workload.modelled : undefined);

const namespaceOf = (e: Endpoint): string | undefined => (e.kind === 'workload' ? e.workload.namespace : e.kind === 'namespace' ? e.namespace : undefined);

const nsSelector = (ns: string): Selector => ({ matchLabels: { 'kubernetes.io/metadata.name': ns } });

function asPeer(e: Endpoint): PolicyPeer {
  switch (e.kind) {
    case 'workload':
      return { namespaceSelector: nsSelector(e.workload.namespace), podSelector: { matchLabels: { ...e.workload.labels } } };
    case 'namespace':
      return { namespaceSelector: nsSelector(e.namespace) };
    case 'cidr':
      return { ipBlock: e.except.length ? { cidr: e.cidr, except: [...e.except] } : { cidr: e.cidr } };
  }
}

function selectorOf(e: Endpoint): Selector {
  return e.kind === 'workload' ? { matchLabels: { ...e.workload.labels } } : {};
}

/** A policy-name fragment for an endpoint: `whoami-whoami`, `whoami-all`, `0.0.0.0-0`. */
function slug(e: Endpoint): string {
  switch (e.kind) {
    case 'workload':
      return `${e.workload.namespace}-${e.workload.name}`;
    case 'namespace':
      return `${e.namespace}-all`;
    case 'cidr':
      return e.cidr.replace('/', '-');
  }
}

function portSlug(p: PolicyPort): string {
  return `${p.protocol.toLowerCase()}-${p.port}${p.endPort !== undefined ? `-${p.endPort}` : ''}`;
}

/** Every NetworkPolicy the environment needs, in a stable order. */
export function networkPolicies(env: Environment): PolicySpec[] {
  const owned = new Set(env.namespaces);
  const policies: PolicySpec[] = [];
  for (const ns of [...env.namespaces].sort()) {
    policies.push({ name: DEFAULT_DENY, namespace: ns, podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policies.push({
      name: ALLOW_DNS,
      namespace: ns,
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: nsSelector(KUBE_DNS.namespace), podSelector: { matchLabels: { ...KUBE_DNS.labels } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
  }
  const restricted = (e: Endpoint) => owned.has(namespaceOf(e) ?? '');
  const names = new Set<string>();
  const unique = (ns: string, base: string) => {
    // Two flows can differ only in an `except` list; keep both, with a stable suffix.
    let name = base;
    for (let i = 2; names.has(`${ns}/${name}`); i++) name = `${base}-${i}`;
    names.add(`${ns}/${name}`);
    return name;
  };
  for (const flow of env.flows) {
    const from = flow.source;
    const to = flow.destination;
    const port: PolicyPort = { ...flow.ports };
    const flowText = describeFlow(flow);
    if (restricted(from)) {
      const ns = namespaceOf(from)!;
      policies.push({
        name: unique(ns, `allow-egress-${slug(from)}-to-${slug(to)}-${portSlug(port)}`),
        namespace: ns,
        podSelector: selectorOf(from),
        policyTypes: ['Egress'],
        egress: [{ to: [asPeer(to)], ports: [port] }],
        flow: flowText,
        ...(modelledOf(from) ? { modelled: modelledOf(from)! } : {}),
      });
    }
    if (restricted(to)) {
      const ns = namespaceOf(to)!;
      policies.push({
        name: unique(ns, `allow-ingress-${slug(to)}-from-${slug(from)}-${portSlug(port)}`),
        namespace: ns,
        podSelector: selectorOf(to),
        policyTypes: ['Ingress'],
        ingress: [{ from: [asPeer(from)], ports: [port] }],
        flow: flowText,
        ...(modelledOf(to) ? { modelled: modelledOf(to)! } : {}),
      });
    }
  }
  return policies;
}

/**
 * kube-score's networkpolicy-targets-pod cannot see pods created at run time (e.g. operator
 * connectors): the policies selecting them are exempt, with the workload's own reason.
 */
function policyScoreExceptions(env: Environment): ScoreException[] {
  const byReason = new Map<string, string[]>();
  for (const p of networkPolicies(env)) if (p.modelled) byReason.set(p.modelled, [...(byReason.get(p.modelled) ?? []), p.name]);
  return [...byReason].map(([why, names]) => ({
    check: 'networkpolicy-targets-pod',
    reason: `the pods it selects are not in dist/: ${why}`,
    kinds: ['NetworkPolicy'],
    names: [...new Set(names)].sort(),
  }));
}

export const networkPolicy = {
  name: 'network-policy',
  // Default deny is in place before any workload starts; its policies live in the namespaces.
  stage: 'foundation',
  requires: ['namespaces'],
  scoreExceptions: policyScoreExceptions,
  render(chart, env) {
    for (const p of networkPolicies(env)) {
      new k8s.KubeNetworkPolicy(chart, `${p.namespace}-${p.name}`, {
        metadata: {
          name: p.name,
          namespace: p.namespace,
          labels: { ...COMMON_LABELS },
          ...(p.flow ? { annotations: { 'zt-eks-gitops/flow': p.flow } } : {}),
        },
        spec: {
          podSelector: p.podSelector,
          policyTypes: p.policyTypes,
          ...(p.ingress ? { ingress: p.ingress.map((r) => ({ from: r.from, ports: r.ports.map(toK8sPort) })) } : {}),
          ...(p.egress ? { egress: p.egress.map((r) => ({ to: r.to, ports: r.ports.map(toK8sPort) })) } : {}),
        },
      });
    }
  },
} satisfies Component;

function toK8sPort(p: PolicyPort): k8s.NetworkPolicyPort {
  return { protocol: p.protocol, port: k8s.IntOrString.fromNumber(p.port), ...(p.endPort !== undefined ? { endPort: p.endPort } : {}) };
}
