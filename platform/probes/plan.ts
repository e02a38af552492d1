/**
 * What the live probes try, derived from the environment alone: for every declared flow (the
 * environment's and its components') a connection that must succeed, and for every blocked path
 * connections that must fail, each dialled from a pod that carries the source workload's labels
 * in the source's namespace, so the cluster's NetworkPolicies treat it as that workload.
 *
 * A flow or path that cannot be probed honestly is listed as skipped, with the reason: a source
 * the platform does not run (operator-made pods, addresses outside the cluster, namespaces it
 * does not own), a target with nothing known to listen, UDP (no handshake to observe) or a port
 * range (no single port known to listen).
 */
import { createHash } from 'node:crypto';
import { contains, formatIpv4, parseCidr } from '../../lib/cidr';
import { KUBE_DNS } from '../../lib/cluster';
import { settingsOf, type WorkloadRef } from '../../lib/component';
import { describeFlow, describePeer, type Environment, type Peer, type ResolvedFlow } from '../../lib/environment';
import { probeSettings } from './settings';

export type Expectation = 'connect' | 'fail';

/** One connection attempt. */
export interface Probe {
  /** Where it is declared: `flows[0]`, `blocked[1]`, or `component <name>` for a flow a component needs. */
  readonly declared: string;
  /** The flow or blocked path as people read it. */
  readonly text: string;
  /** The workload whose labels the probe pod carries. */
  readonly source: WorkloadRef;
  readonly expect: Expectation;
  /** What the probe dials. */
  readonly host: string;
  readonly port: number;
  /** What that address stands for, e.g. `whoami/whoami http`, `kube-system/coredns metrics`, `1.1.1.1 in 0.0.0.0/0`. */
  readonly target: string;
}

/** A flow or blocked path (or one source of it) that no probe tries, and why. */
export interface Skipped {
  readonly declared: string;
  readonly text: string;
  /** The source whose probe pod would have tried it (absent when no pod can stand in for the source). */
  readonly source?: WorkloadRef;
  readonly reason: string;
}

export interface ProbePlan {
  readonly probes: readonly Probe[];
  readonly skipped: readonly Skipped[];
  /** Source workloads, one probe Job each, sorted by namespace and name. */
  readonly sources: readonly WorkloadRef[];
  /** Destination workloads the probes dial through a headless Service, sorted by namespace and name. */
  readonly targets: readonly WorkloadRef[];
}

/** Blocked paths name no port: an address outside the cluster is tried on HTTPS, what nearly everything there listens on. */
const BLOCKED_ADDRESS_PORT = 443;

/**
 * Listeners every EKS cluster has in namespaces the platform does not own, so that a blocked
 * path into such a namespace (`kube-system/*`) can be tried on a port that answers. CoreDNS's
 * DNS ports are left out: DNS to kube-dns is allowed for every owned namespace.
 */
function clusterListeners(env: Environment): Record<string, { host: string; port: number; target: string }[]> {
  const d = env.cluster.domain;
  return {
    [KUBE_DNS.namespace]: [{ host: `kube-dns.${KUBE_DNS.namespace}.svc.${d}`, port: 9153, target: `${KUBE_DNS.namespace}/coredns metrics` }],
    default: [{ host: `kubernetes.default.svc.${d}`, port: 443, target: 'default/kubernetes (the API server)' }],
  };
}

/** A DNS label `<prefix><name>`, cut and suffixed with a hash of the name when longer than 63 characters. */
export function probeName(prefix: string, name: string): string {
  const full = `${prefix}${name}`;
  if (full.length <= 63) return full;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${full.slice(0, 54).replace(/-+$/, '')}-${hash}`;
}

/** The probe Job of a source workload. */
export const jobName = (source: WorkloadRef) => probeName('network-probe-from-', source.name);
/** The headless Service through which probes dial a destination workload's pods. */
export const targetServiceName = (target: WorkloadRef) => probeName('network-probe-to-', target.name);

const key = (w: WorkloadRef) => `${w.namespace}/${w.name}`;
const byKey = (a: WorkloadRef, b: WorkloadRef) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

type SourceSide = { readonly workloads: WorkloadRef[]; readonly skipped: { source?: WorkloadRef; reason: string }[] };

/** The workloads a probe pod can stand in for at a flow's source, and the rest with reasons. */
function sourcesOf(env: Environment, peer: Peer): SourceSide {
  if (typeof peer !== 'string') {
    return { workloads: [], skipped: [{ reason: `the source ${describePeer(peer)} is outside the cluster: no pod can stand in for it` }] };
  }
  const [ns, name] = peer.split('/') as [string, string];
  if (!env.namespaces.includes(ns)) {
    return { workloads: [], skipped: [{ reason: `the source runs in ${ns}, a namespace the platform does not own` }] };
  }
  const candidates = name === '*' ? env.workloads.filter((w) => w.namespace === ns) : env.workloads.filter((w) => w.namespace === ns && w.name === name);
  if (candidates.length === 0) return { workloads: [], skipped: [{ reason: `no workload of ${ns} is known` }] };
  const side: SourceSide = { workloads: [], skipped: [] };
  for (const w of [...candidates].sort(byKey)) {
    if (w.modelled) side.skipped.push({ source: w, reason: `the source is not rendered by the platform (${w.modelled}): no probe can stand in for it` });
    else side.workloads.push(w);
  }
  return side;
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly target: string;
  /** The destination workload dialled through its headless Service, if any. */
  readonly workload?: WorkloadRef;
}

type TargetSide = { readonly targets: Target[] } | { readonly reason: string };

function workloadHost(env: Environment, w: WorkloadRef): string {
  return `${targetServiceName(w)}.${w.namespace}.svc.${env.cluster.domain}`;
}

/** TCP ports of a workload, by name. */
function tcpPorts(w: WorkloadRef): [string, number][] {
  return Object.entries(w.ports)
    .filter(([, p]) => p.protocol === 'TCP')
    .map(([n, p]) => [n, p.containerPort] as [string, number])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Where to dial a destination: on `port` for a flow, on every port known to listen for a blocked path (`port` undefined). */
function targetsOf(env: Environment, peer: Peer, port: number | undefined): TargetSide {
  const settings = settingsOf(env, probeSettings);
  if (typeof peer !== 'string') {
    const block = parseCidr(peer.cidr)!;
    const single = block.start === block.end ? formatIpv4(block.start) : undefined;
    const address = single ?? settings.addresses[peer.cidr];
    if (address === undefined) {
      return { reason: `no address in ${peer.cidr} is known to listen (give one in probes.addresses[${JSON.stringify(peer.cidr)}])` };
    }
    const ip = parseCidr(`${address}/32`)!;
    const excepted = peer.except.find((e) => contains(parseCidr(e)!, ip));
    if (excepted) return { reason: `${address} (probes.addresses) is in ${excepted}, which the flow excepts` };
    return { targets: [{ host: address, port: port ?? BLOCKED_ADDRESS_PORT, target: single ? address : `${address} in ${peer.cidr}` }] };
  }
  const [ns, name] = peer.split('/') as [string, string];
  if (!env.namespaces.includes(ns)) {
    const listeners = (clusterListeners(env)[ns] ?? []).filter((l) => port === undefined || l.port === port);
    if (listeners.length === 0) return { reason: `nothing in ${ns}, a namespace the platform does not own, is known to listen${port ? ` on ${port}` : ''}` };
    return { targets: listeners };
  }
  const workloads = env.workloads.filter((w) => w.namespace === ns && (name === '*' || w.name === name)).sort(byKey);
  const targets: Target[] = [];
  for (const w of workloads) {
    const ports = tcpPorts(w);
    if (name !== '*' && port !== undefined && !ports.some(([, p]) => p === port)) {
      // A numeric port the workload does not name: the flow still says it listens there.
      targets.push({ host: workloadHost(env, w), port, target: `${key(w)} ${port}`, workload: w });
      continue;
    }
    for (const [portName, containerPort] of ports) {
      if (port === undefined || containerPort === port) {
        targets.push({ host: workloadHost(env, w), port: containerPort, target: `${key(w)} ${portName}`, workload: w });
      }
    }
  }
  if (targets.length === 0) {
    const wanted = port === undefined ? 'a TCP port' : `TCP ${port}`;
    return { reason: name === '*' ? `no workload of ${ns} declares ${wanted}` : `${peer} declares no TCP port to try` };
  }
  return { targets };
}

/** `flows[i]` for a declared flow (declared flows come first), `component <name>` for a component's. */
function flowRef(flow: ResolvedFlow, i: number): string {
  return flow.origin ? `component ${flow.origin}` : `flows[${i}]`;
}

/** The probes of an environment with the probes block; every flow and blocked path is probed or skipped. */
export function probePlan(env: Environment): ProbePlan {
  const probes: Probe[] = [];
  const skipped: Skipped[] = [];
  const dialled: WorkloadRef[] = [];
  const entries = [
    ...env.flows.map((f, i) => ({ declared: flowRef(f, i), text: describeFlow(f), from: f.from, to: f.to, flow: f })),
    ...env.blocked.map((b, i) => ({
      declared: `blocked[${i}]`,
      text: `${describePeer(b.from)} -> ${describePeer(b.to)}`,
      from: b.from,
      to: b.to,
      flow: undefined,
    })),
  ];
  for (const e of entries) {
    const sources = sourcesOf(env, e.from);
    for (const s of sources.skipped) skipped.push({ declared: e.declared, text: e.text, ...(s.source ? { source: s.source } : {}), reason: s.reason });
    if (sources.workloads.length === 0) continue;
    let side: TargetSide;
    if (e.flow && e.flow.ports.protocol !== 'TCP') {
      side = { reason: `${e.flow.ports.protocol} has no handshake: a probe cannot tell delivered from dropped` };
    } else if (e.flow?.ports.endPort !== undefined) {
      side = { reason: `a port range (${e.flow.ports.port}-${e.flow.ports.endPort}): no single port is known to listen` };
    } else {
      side = targetsOf(env, e.to, e.flow?.ports.port);
    }
    for (const source of sources.workloads) {
      if ('reason' in side) {
        skipped.push({ declared: e.declared, text: e.text, source, reason: side.reason });
        continue;
      }
      for (const t of side.targets) {
        if (t.workload) dialled.push(t.workload);
        probes.push({ declared: e.declared, text: e.text, source, expect: e.flow ? 'connect' : 'fail', host: t.host, port: t.port, target: t.target });
      }
    }
  }
  const unique = (ws: WorkloadRef[]) => [...new Map(ws.map((w) => [key(w), w])).values()].sort(byKey);
  return { probes, skipped, sources: unique(probes.map((p) => p.source)), targets: unique(dialled) };
}
