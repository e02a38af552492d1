/**
 * The network-policy component: default deny (ingress and egress) in every namespace the
 * platform owns, DNS egress to kube-dns only, and one explicit allow per declared flow, on
 * each side of the flow that the platform restricts.
 */
import { k8s } from 'cdk8s-plus-28';
import { COMMON_LABELS, type Component } from '../lib/component';
import { type Environment, type Flow, type Peer, type Protocol, type WorkloadRef, workloads } from '../lib/environment';

/** Where cluster DNS runs on EKS (CoreDNS keeps the historical kube-dns label). */
export const KUBE_DNS = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } } as const;

export const DEFAULT_DENY = 'default-deny';
export const ALLOW_DNS = 'allow-dns-egress';

type Selector = { matchLabels?: Record<string, string> };
export interface PolicyPeer {
  namespaceSelector?: Selector;
  podSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface PolicyPort {
  protocol: Protocol;
  port: number;
  endPort?: number;
}
/** A NetworkPolicy as data: what the component renders and what tests assert on. */
export interface PolicySpec {
  name: string;
  namespace: string;
  podSelector: Selector;
  policyTypes: ('Ingress' | 'Egress')[];
  ingress?: { from: PolicyPeer[]; ports: PolicyPort[] }[];
  egress?: { to: PolicyPeer[]; ports: PolicyPort[] }[];
  /** The flow this allow comes from, for the annotation reviewers read. */
  flow?: string;
}

/** A flow endpoint resolved against the environment. */
type Endpoint =
  | { kind: 'workload'; namespace: string; name: string; labels: Record<string, string>; ref: WorkloadRef }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'cidr'; cidr: string; except: string[] };

function resolve(env: Environment, known: readonly WorkloadRef[], p: Peer): Endpoint {
  if (typeof p !== 'string') return { kind: 'cidr', cidr: p.cidr, except: p.except };
  const [namespace, name] = p.split('/') as [string, string];
  if (name === '*') return { kind: 'namespace', namespace };
  const ref = known.find((w) => w.namespace === namespace && w.name === name);
  // Validation guarantees the reference; reaching this is a bug, not a user error.
  if (!ref) throw new Error(`internal: unresolved workload ${p} in environment ${env.name}`);
  return { kind: 'workload', namespace, name, labels: { ...ref.labels }, ref };
}

const nsSelector = (ns: string): Selector => ({ matchLabels: { 'kubernetes.io/metadata.name': ns } });

function asPeer(e: Endpoint): PolicyPeer {
  switch (e.kind) {
    case 'workload':
      return { namespaceSelector: nsSelector(e.namespace), podSelector: { matchLabels: e.labels } };
    case 'namespace':
      return { namespaceSelector: nsSelector(e.namespace) };
    case 'cidr':
      return { ipBlock: e.except.length ? { cidr: e.cidr, except: [...e.except] } : { cidr: e.cidr } };
  }
}

function selectorOf(e: Endpoint): Selector {
  return e.kind === 'workload' ? { matchLabels: e.labels } : {};
}

/** A policy-name fragment for an endpoint: `whoami-whoami`, `whoami-all`, `0.0.0.0-0`. */
function slug(e: Endpoint): string {
  switch (e.kind) {
    case 'workload':
      return `${e.namespace}-${e.name}`;
    case 'namespace':
      return `${e.namespace}-all`;
    case 'cidr':
      return e.cidr.replace('/', '-');
  }
}

/** Numeric port(s) of a flow; a named port resolves to the destination's container port. */
export function flowPort(flow: Flow, to: Endpoint): PolicyPort {
  if (typeof flow.port === 'string') {
    const named = (to as Extract<Endpoint, { kind: 'workload' }>).ref.ports[flow.port]!;
    return { protocol: flow.protocol ?? named.protocol, port: named.containerPort };
  }
  return { protocol: flow.protocol ?? 'TCP', port: flow.port, ...(flow.endPort !== undefined ? { endPort: flow.endPort } : {}) };
}

function portSlug(p: PolicyPort): string {
  return `${p.protocol.toLowerCase()}-${p.port}${p.endPort !== undefined ? `-${p.endPort}` : ''}`;
}

function describe(flow: Flow): string {
  const peer = (p: Peer) => (typeof p === 'string' ? p : `${p.cidr}${p.except.length ? ` except ${p.except.join(',')}` : ''}`);
  return `${peer(flow.from)} -> ${peer(flow.to)} : ${flow.port}${flow.endPort ? `-${flow.endPort}` : ''}`;
}

/** Every NetworkPolicy the environment needs, in a stable order. */
export function networkPolicies(env: Environment): PolicySpec[] {
  const owned = new Set(env.namespaces);
  const known = workloads(env);
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
  const restricted = (e: Endpoint) => e.kind !== 'cidr' && owned.has(e.namespace);
  const names = new Set<string>();
  const unique = (ns: string, base: string) => {
    // Two flows can differ only in an `except` list; keep both, with a stable suffix.
    let name = base;
    for (let i = 2; names.has(`${ns}/${name}`); i++) name = `${base}-${i}`;
    names.add(`${ns}/${name}`);
    return name;
  };
  for (const flow of env.flows) {
    const from = resolve(env, known, flow.from);
    const to = resolve(env, known, flow.to);
    const port = flowPort(flow, to);
    const flowText = describe(flow);
    if (restricted(from)) {
      const ns = (from as { namespace: string }).namespace;
      policies.push({
        name: unique(ns, `allow-egress-${slug(from)}-to-${slug(to)}-${portSlug(port)}`),
        namespace: ns,
        podSelector: selectorOf(from),
        policyTypes: ['Egress'],
        egress: [{ to: [asPeer(to)], ports: [port] }],
        flow: flowText,
      });
    }
    if (restricted(to)) {
      const ns = (to as { namespace: string }).namespace;
      policies.push({
        name: unique(ns, `allow-ingress-${slug(to)}-from-${slug(from)}-${portSlug(port)}`),
        namespace: ns,
        podSelector: selectorOf(to),
        policyTypes: ['Ingress'],
        ingress: [{ from: [asPeer(from)], ports: [port] }],
        flow: flowText,
      });
    }
  }
  return policies;
}

export const networkPolicy: Component = {
  name: 'network-policy',
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
};

function toK8sPort(p: PolicyPort): k8s.NetworkPolicyPort {
  return { protocol: p.protocol, port: k8s.IntOrString.fromNumber(p.port), ...(p.endPort !== undefined ? { endPort: p.endPort } : {}) };
}
