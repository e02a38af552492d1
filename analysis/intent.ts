/**
 * The environment's network intent, proven on what synth rendered: the analyzed reachability
 * must equal the declared flows (plus DNS to kube-dns, implicitly declared for every owned
 * namespace), and every declared-blocked path must stay closed.
 *
 * Scope: a connection is checked when at least one side is a workload in a namespace the
 * platform owns. Traffic between namespaces the platform does not own (kube-system and the
 * internet, say) is not the platform's to restrict; traffic from them into owned pods, or from
 * owned pods to them, must be declared like any other.
 */
import { parseCidr } from '../lib/cidr';
import { KUBE_DNS } from '../lib/cluster';
import type { WorkloadRef } from '../lib/component';
import { describePeer, type Environment, type Peer, type ResolvedFlow } from '../lib/environment';
import { environmentError } from '../lib/errors';
import type { ApiObject } from '../lib/output';
import { type Analysis, analyze, type Connection, type Endpoint } from './analyze';
import { type ConnSet, conns, formatConns, intersect, isEmpty, NO_CONNS, subtract, union } from './conns';
import { blockContains, formatRange, type IpBlock, type Ipv4Range } from './ip';
import { buildCluster, type Issue, type SourcedObject } from './model';
import { type Labels, matches } from './selectors';

/** The CoreDNS workload modelled in kube-system (EKS names it coredns; its pods keep the kube-dns label). */
export const KUBE_DNS_WORKLOAD: WorkloadRef = {
  namespace: KUBE_DNS.namespace,
  name: 'coredns',
  labels: KUBE_DNS.labels,
  ports: { dns: { containerPort: 53, protocol: 'UDP' }, 'dns-tcp': { containerPort: 53, protocol: 'TCP' } },
};

const DNS_CONNS = union(conns('UDP', 53), conns('TCP', 53));

/** A flow side as a predicate over analysis endpoints. */
export type Matcher = (e: Endpoint) => boolean;

const hasLabels = (have: Labels, want: Labels) => matches({ matchLabels: want, matchExpressions: [] }, have);

function matcher(env: Environment, peer: Peer): Matcher {
  if (typeof peer !== 'string') {
    const block: IpBlock = { cidr: parseCidr(peer.cidr)!, except: peer.except.map((e) => parseCidr(e)!) };
    return (e) => e.kind === 'range' && blockContains(block, e.range);
  }
  const [ns, name] = peer.split('/') as [string, string];
  if (name === '*') return (e) => e.kind === 'workload' && e.workload.namespace === ns;
  const ref = [...env.workloads, KUBE_DNS_WORKLOAD].find((w) => w.namespace === ns && w.name === name);
  // Validation guarantees the reference; reaching this is a bug, not a user error.
  if (!ref) throw new Error(`internal: unresolved workload ${peer} in environment ${env.name}`);
  return (e) => e.kind === 'workload' && e.workload.namespace === ns && hasLabels(e.workload.labels, ref.labels);
}

/** The connections a flow declares (resolved when the environment was validated). */
function flowConns(flow: ResolvedFlow): ConnSet {
  return conns(flow.ports.protocol, flow.ports.port, flow.ports.endPort ?? flow.ports.port);
}

export { describePeer };

const endpointName = (e: Endpoint) => (e.kind === 'workload' ? e.workload.id : formatRange(e.range));

/** The cluster model of rendered objects: every one is modelled, or the proof fails (one left out could hide a connection). */
function model(env: Environment, objects: readonly SourcedObject[]) {
  const unmodelled = (i: Issue) => {
    throw environmentError(env.name, '', `the reachability proof cannot model a rendered object: ${i.message}`);
  };
  return buildCluster(objects, { onIssue: unmodelled });
}

/**
 * Pods synth does not render but the environment knows: what the cluster runs by itself
 * (CoreDNS) and what operators create at run time, as their components declare. Every other
 * declared workload must match a rendered pod template; a chart whose labels drifted away from
 * what the NetworkPolicies select fails here, naming the workload.
 */
function syntheticPods(env: Environment, objects: readonly ApiObject[]): SourcedObject[] {
  const rendered = model(
    env,
    objects.map((object) => ({ source: 'rendered', object })),
  ).workloads;
  const missing = [...env.workloads, KUBE_DNS_WORKLOAD].filter(
    (ref) => !rendered.some((w) => w.namespace === ref.namespace && hasLabels(w.labels, ref.labels)),
  );
  for (const ref of missing) {
    if (ref !== KUBE_DNS_WORKLOAD && !ref.modelled) {
      const labels = Object.entries(ref.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      throw environmentError(
        env.name,
        '',
        `workload ${ref.namespace}/${ref.name}: no rendered pod in namespace ${ref.namespace} carries ${labels} (a chart's pod labels no longer match what the NetworkPolicies select)`,
      );
    }
  }
  return missing.map((ref) => modelledObject(ref, `synthetic ${ref.namespace}/${ref.name}`));
}

/**
 * The object the analysis models a declared workload by: CoreDNS is a Deployment on EKS;
 * operator-made pods (the Twingate connector) are bare pods.
 */
export function modelledObject(ref: WorkloadRef, source: string): SourcedObject {
  const containers = [
    { name: ref.name, ports: Object.entries(ref.ports).map(([name, p]) => ({ name, containerPort: p.containerPort, protocol: p.protocol })) },
  ];
  const labels = { ...ref.labels };
  const object =
    ref.namespace === KUBE_DNS_WORKLOAD.namespace && ref.name === KUBE_DNS_WORKLOAD.name
      ? {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: ref.name, namespace: ref.namespace },
          spec: { template: { metadata: { labels }, spec: { containers } } },
        }
      : { apiVersion: 'v1', kind: 'Pod', metadata: { name: ref.name, namespace: ref.namespace, labels }, spec: { containers } };
  return { source, object };
}

/**
 * A flow as the proof reads it: ends as predicates over analysis endpoints and the connections
 * it declares. Numbered from 1 in `env.flows` order, then the implicit DNS flow (`flow`
 * undefined): from every workload of an owned namespace to kube-dns, UDP and TCP 53.
 */
export interface DeclaredFlow {
  readonly number: number;
  readonly flow?: ResolvedFlow;
  readonly from: Matcher;
  readonly to: Matcher;
  readonly conns: ConnSet;
}

/** The DNS workload every owned namespace reaches, as `namespace/name`. */
export const KUBE_DNS_PEER = `${KUBE_DNS_WORKLOAD.namespace}/${KUBE_DNS_WORKLOAD.name}`;

/** The environment's declared flows, then the implicit DNS flow (see {@link DeclaredFlow}). */
export function declaredFlows(env: Environment): DeclaredFlow[] {
  const owned = new Set(env.namespaces);
  const dns: DeclaredFlow = {
    number: env.flows.length + 1,
    from: (e) => e.kind === 'workload' && owned.has(e.workload.namespace),
    to: matcher(env, KUBE_DNS_PEER),
    conns: DNS_CONNS,
  };
  return [...env.flows.map((flow, i) => ({ number: i + 1, flow, from: matcher(env, flow.from), to: matcher(env, flow.to), conns: flowConns(flow) })), dns];
}

export interface IntentResult {
  readonly analysis: Analysis;
  /** Connections in scope (one side an owned workload), as analyzed. */
  readonly connections: readonly Connection[];
}

/**
 * Analyzes one environment's rendered objects and throws a one-line user error (naming the
 * environment and the flow or blocked entry) when reachability differs from the intent.
 */
export function checkIntent(env: Environment, objects: readonly ApiObject[]): IntentResult {
  const sourced: SourcedObject[] = [...objects.map((object) => ({ source: `environment ${env.name}`, object })), ...syntheticPods(env, objects)];
  const cidrs: Ipv4Range[] = [...env.flows, ...env.blocked]
    .flatMap((f) => [f.from, f.to])
    .flatMap((p) => (typeof p === 'string' ? [] : [p.cidr, ...p.except].map((c) => parseCidr(c)!)));
  const analysis = analyze(model(env, sourced), { boundaries: cidrs });
  const owned = new Set(env.namespaces);
  const isOwned = (e: Endpoint) => e.kind === 'workload' && owned.has(e.workload.namespace);
  const connections = analysis.connections.filter((c) => isOwned(c.src) || isOwned(c.dst));

  const endpoints: Endpoint[] = [
    ...analysis.workloads.map((w) => ({ kind: 'workload' as const, workload: w })),
    ...analysis.ranges.map((r) => ({ kind: 'range' as const, range: r })),
  ];
  const key = (e: Endpoint) => (e.kind === 'workload' ? e.workload.id : `range:${e.range.start}`);
  const analyzed = new Map(analysis.connections.map((c) => [`${key(c.src)}|${key(c.dst)}`, c.conns]));
  const between = (s: Endpoint, d: Endpoint) => analyzed.get(`${key(s)}|${key(d)}`) ?? NO_CONNS;
  const pairs = (from: Matcher, to: Matcher) => {
    const srcs = endpoints.filter(from);
    const dsts = endpoints.filter(to);
    return srcs.flatMap((s) => dsts.filter((d) => key(d) !== key(s) && (s.kind === 'workload' || d.kind === 'workload')).map((d) => [s, d] as const));
  };

  const declared = declaredFlows(env);
  const dns = declared[declared.length - 1]!;

  for (const [i, flow] of env.flows.entries()) {
    const d = declared[i]!;
    for (const [s, t] of pairs(d.from, d.to)) {
      const missing = subtract(d.conns, between(s, t));
      if (!isEmpty(missing)) {
        throw environmentError(
          env.name,
          flow.origin ? `component ${flow.origin}: flows` : `flows[${i}]`,
          `${describePeer(flow.from)} -> ${describePeer(flow.to)} : ${formatConns(missing)} is blocked (${endpointName(s)} => ${endpointName(t)} lacks it)`,
        );
      }
    }
  }

  // DNS is declared for every owned namespace: every workload there must reach kube-dns.
  for (const [s, t] of pairs(dns.from, dns.to)) {
    const missing = subtract(DNS_CONNS, between(s, t));
    if (!isEmpty(missing)) {
      const i = env.namespaces.indexOf((s as Extract<Endpoint, { kind: 'workload' }>).workload.namespace);
      throw environmentError(env.name, `namespaces[${i}]`, `DNS to ${KUBE_DNS.namespace} (${formatConns(missing)}) is blocked for ${endpointName(s)}`);
    }
  }

  for (const [i, b] of env.blocked.entries()) {
    const from = matcher(env, b.from);
    const to = matcher(env, b.to);
    for (const [s, t] of pairs(from, to)) {
      const exempt = dns.from(s) && dns.to(t) ? DNS_CONNS : NO_CONNS;
      const open = subtract(between(s, t), exempt);
      if (!isEmpty(open)) {
        throw environmentError(
          env.name,
          `blocked[${i}]`,
          `${describePeer(b.from)} -> ${describePeer(b.to)} is open (${endpointName(s)} => ${endpointName(t)} : ${formatConns(open)})`,
        );
      }
    }
  }

  for (const c of connections) {
    let allowed = NO_CONNS;
    for (const d of declared) if (d.from(c.src) && d.to(c.dst)) allowed = union(allowed, d.conns);
    const extra = subtract(c.conns, intersect(c.conns, allowed));
    if (!isEmpty(extra)) {
      throw environmentError(
        env.name,
        'flows',
        `the rendered NetworkPolicies allow ${endpointName(c.src)} => ${endpointName(c.dst)} : ${formatConns(extra)} which no flow declares`,
      );
    }
  }
  return { analysis, connections };
}
