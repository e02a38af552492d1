/**
 * The connection computation (networking.k8s.io/v1 semantics). A connection from A to B needs
 * A's egress and B's ingress: a pod selected by no policy of a direction is open in that
 * direction; otherwise that direction allows the union of the rules of the policies that
 * select it. Addresses outside the cluster are atomic IPv4 ranges (see ip.ts); they have no
 * policies of their own, and ipBlocks match only them (the manifests carry no pod IPs).
 *
 * Cost: workloads with the same namespace, pod labels and container ports are one endpoint
 * class (every policy treats them alike: the replicas of a bare-pod job, static pods on each
 * node), and the analysis runs once per class before it is expanded to the workloads. Policies
 * are indexed by namespace and each rule's peers are evaluated once against the classes, so a
 * pair costs a few map lookups instead of a walk over every policy.
 */
import { ALL_CONNS, type ConnSet, conns, intersect, isEmpty, NO_CONNS, union } from './conns';
import { blockContains, type Ipv4Range, splitAddressSpace } from './ip';
import type { Cluster, Policy, PolicyPort, Rule, Workload } from './model';
import { isEverything, matches } from './selectors';

export type Endpoint = { readonly kind: 'workload'; readonly workload: Workload } | { readonly kind: 'range'; readonly range: Ipv4Range };

export interface Connection {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly conns: ConnSet;
}

export interface Analysis {
  readonly workloads: readonly Workload[];
  /** The external address space, split at every ipBlock boundary, ascending. */
  readonly ranges: readonly Ipv4Range[];
  /** Every pair with at least one connection; workload pairs, then workload/range pairs. */
  readonly connections: readonly Connection[];
}

/** A rule with its peers resolved: matched workload indices and external ranges. */
interface ResolvedRule {
  /** undefined: every workload. */
  readonly workloads?: ReadonlySet<number>;
  /** undefined: every range. */
  readonly ranges?: ReadonlySet<number>;
  /** Numeric ports. */
  readonly numeric: ConnSet;
  /** Named ports, resolved per destination pod. */
  readonly named: readonly { protocol: PolicyPort['protocol']; name: string }[];
}

function portsConns(ports: Rule['ports']): { numeric: ConnSet; named: ResolvedRule['named'] } {
  if (!ports) return { numeric: ALL_CONNS, named: [] };
  let numeric = NO_CONNS;
  const named: { protocol: PolicyPort['protocol']; name: string }[] = [];
  for (const p of ports) {
    if ('name' in p) named.push({ protocol: p.protocol, name: p.name });
    else numeric = union(numeric, conns(p.protocol, p.start, p.end));
  }
  return { numeric, named };
}

/** What a rule allows towards (ingress: into) the pods of `dst`: named ports resolve on `dst`. */
function ruleConnsFor(rule: ResolvedRule, dst: Workload): ConnSet {
  let out = rule.numeric;
  for (const n of rule.named) {
    for (const cp of dst.ports) if (cp.name === n.name && cp.protocol === n.protocol) out = union(out, conns(cp.protocol, cp.port));
  }
  return out;
}

interface AnalyzeOptions {
  /** More ranges whose boundaries split the address space (e.g. CIDRs a caller will ask about). */
  readonly boundaries?: readonly Ipv4Range[];
}

/** Workloads no policy can tell apart: same namespace, same pod labels, same container ports. */
function classKey(w: Workload): string {
  const labels = Object.keys(w.labels)
    .sort()
    .map((k) => `${k}=${w.labels[k]}`);
  const ports = w.ports.map((p) => `${p.name ?? ''}/${p.port}/${p.protocol}`).sort();
  return JSON.stringify([w.namespace, labels, ports]);
}

export function analyze(cluster: Cluster, options: AnalyzeOptions = {}): Analysis {
  const all = cluster.workloads;
  // The analysis below runs on one representative workload per class.
  const classes = new Map<string, number>();
  const workloads: Workload[] = [];
  const members: number[][] = [];
  all.forEach((w, i) => {
    const key = classKey(w);
    const c = classes.get(key);
    if (c !== undefined) members[c]!.push(i);
    else {
      classes.set(key, workloads.length);
      workloads.push(w);
      members.push([i]);
    }
  });
  const byNamespace = new Map<string, number[]>();
  workloads.forEach((w, i) => {
    const list = byNamespace.get(w.namespace);
    if (list) list.push(i);
    else byNamespace.set(w.namespace, [i]);
  });

  const blocks = cluster.policies.flatMap((p) => [...p.ingressRules, ...p.egressRules]).flatMap((r) => r.peers ?? []);
  const ranges = splitAddressSpace([
    ...blocks.flatMap((p) => (p.kind === 'ipBlock' && p.block ? [p.block.cidr, ...p.block.except] : [])),
    ...(options.boundaries ?? []),
  ]);

  const resolve = (policy: Policy, rule: Rule): ResolvedRule => {
    const ports = portsConns(rule.ports);
    if (!rule.peers) return ports;
    const ws = new Set<number>();
    const rs = new Set<number>();
    for (const peer of rule.peers) {
      if (peer.kind === 'ipBlock') {
        if (peer.block) {
          for (const [k, r] of ranges.entries()) if (blockContains(peer.block, r)) rs.add(k);
        }
        continue;
      }
      const namespaces = peer.namespaces
        ? [...cluster.namespaces].filter(([, labels]) => matches(peer.namespaces!, labels)).map(([n]) => n)
        : [policy.namespace];
      const everyPod = isEverything(peer.pods);
      for (const ns of namespaces) for (const i of byNamespace.get(ns) ?? []) if (everyPod || matches(peer.pods, workloads[i]!.labels)) ws.add(i);
    }
    return { ...ports, workloads: ws, ranges: rs };
  };

  // Per workload: the resolved rules of the policies selecting it, per direction.
  const ingressRules: ResolvedRule[][] = workloads.map(() => []);
  const egressRules: ResolvedRule[][] = workloads.map(() => []);
  const ingressIsolated = workloads.map(() => false);
  const egressIsolated = workloads.map(() => false);
  for (const policy of cluster.policies) {
    const selected = (byNamespace.get(policy.namespace) ?? []).filter((i) => matches(policy.podSelector, workloads[i]!.labels));
    if (selected.length === 0) continue;
    const ing = policy.ingress ? policy.ingressRules.map((r) => resolve(policy, r)) : [];
    const egr = policy.egress ? policy.egressRules.map((r) => resolve(policy, r)) : [];
    for (const i of selected) {
      if (policy.ingress) {
        ingressIsolated[i] = true;
        ingressRules[i]!.push(...ing);
      }
      if (policy.egress) {
        egressIsolated[i] = true;
        egressRules[i]!.push(...egr);
      }
    }
  }

  // Egress of an isolated source towards each destination workload / range. Rules with every
  // workload as peer go to `all`; their named ports are resolved per destination below.
  const n = workloads.length;
  interface Side {
    all: ConnSet;
    allNamed: ResolvedRule[];
    per: Map<number, ConnSet>;
    ranges: ConnSet[];
  }
  const side = (rules: readonly ResolvedRule[], owner: number, direction: 'ingress' | 'egress'): Side => {
    const s: Side = { all: NO_CONNS, allNamed: [], per: new Map(), ranges: ranges.map(() => NO_CONNS) };
    for (const rule of rules) {
      // Ingress: the destination is the owner, so named ports resolve on it once.
      const fixed = direction === 'ingress' ? ruleConnsFor(rule, workloads[owner]!) : undefined;
      if (!rule.workloads) {
        s.all = union(s.all, fixed ?? rule.numeric);
        if (!fixed && rule.named.length) s.allNamed.push(rule);
      } else {
        for (const j of rule.workloads) s.per.set(j, union(s.per.get(j) ?? NO_CONNS, fixed ?? ruleConnsFor(rule, workloads[j]!)));
      }
      // Named ports never match an address outside the cluster (no pod, no container port).
      const toRange = fixed ?? rule.numeric;
      ranges.forEach((_, k) => {
        if (!rule.ranges || rule.ranges.has(k)) s.ranges[k] = union(s.ranges[k]!, toRange);
      });
    }
    return s;
  };
  const egress = workloads.map((_, i) => (egressIsolated[i] ? side(egressRules[i]!, i, 'egress') : undefined));
  const ingress = workloads.map((_, i) => (ingressIsolated[i] ? side(ingressRules[i]!, i, 'ingress') : undefined));
  const towards = (s: Side | undefined, j: number): ConnSet => {
    if (!s) return ALL_CONNS;
    let c = s.all;
    for (const rule of s.allNamed) c = union(c, ruleConnsFor(rule, workloads[j]!));
    const per = s.per.get(j);
    return per ? union(c, per) : c;
  };

  // Expanded to the workloads of each class; a class's workloads reach each other as the class
  // reaches itself. One endpoint object per workload and range, shared by its connections.
  const workloadEnds = all.map((workload) => ({ kind: 'workload' as const, workload }));
  const rangeEnds = ranges.map((range) => ({ kind: 'range' as const, range }));
  const connections: Connection[] = [];
  for (let i = 0; i < n; i++) {
    const e = egress[i];
    for (let j = 0; j < n; j++) {
      if (i === j && members[i]!.length === 1) continue;
      const out = towards(e, j);
      if (isEmpty(out)) continue;
      const c = intersect(out, towards(ingress[j], i));
      if (isEmpty(c)) continue;
      for (const a of members[i]!) for (const b of members[j]!) if (a !== b) connections.push({ src: workloadEnds[a]!, dst: workloadEnds[b]!, conns: c });
    }
  }
  for (let i = 0; i < n; i++) {
    ranges.forEach((_, k) => {
      const out = egress[i] ? egress[i]!.ranges[k]! : ALL_CONNS;
      const inn = ingress[i] ? ingress[i]!.ranges[k]! : ALL_CONNS;
      for (const a of members[i]!) {
        if (!isEmpty(out)) connections.push({ src: workloadEnds[a]!, dst: rangeEnds[k]!, conns: out });
        if (!isEmpty(inn)) connections.push({ src: rangeEnds[k]!, dst: workloadEnds[a]!, conns: inn });
      }
    });
  }
  return { workloads: all, ranges, connections };
}
