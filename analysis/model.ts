/**
 * The cluster as the analyzer sees it, built from arbitrary API objects: namespaces with their
 * labels, workloads (pod templates grouped by owner) and NetworkPolicies, validated the way
 * the API server would so that a policy it would reject fails here with a one-line message.
 */
import { UserError } from '../lib/errors';
import type { Protocol } from './conns';
import { type IpBlock, parseBlock } from './ip';
import { type Labels, parseSelector, type Selector, SelectorError } from './selectors';

/** Kinds whose pods the analyzer models, and where each keeps its pod template. */
const WORKLOAD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'] as const;

export interface ContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: Protocol;
}

export interface Workload {
  /** np-guard's name: `namespace/name[Kind]`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  /** Labels of the workload's pods. */
  readonly labels: Labels;
  /** Container ports of the workload's pods (what named policy ports resolve against). */
  readonly ports: readonly ContainerPort[];
}

/** A rule peer; `pods` with `namespaces: undefined` means the policy's own namespace. */
export type Peer = { readonly kind: 'pods'; readonly namespaces?: Selector; readonly pods: Selector } | { readonly kind: 'ipBlock'; readonly block?: IpBlock };

export type PolicyPort =
  | { readonly protocol: Protocol; readonly start?: number; readonly end?: number }
  | { readonly protocol: Protocol; readonly name: string };

export interface Rule {
  /** undefined: `from`/`to` absent or empty, every peer matches. */
  readonly peers?: readonly Peer[];
  /** undefined: `ports` absent or empty, every port matches. */
  readonly ports?: readonly PolicyPort[];
}

export interface Policy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: Selector;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly ingressRules: readonly Rule[];
  readonly egressRules: readonly Rule[];
}

export interface Cluster {
  /** Every namespace: declared ones and those only referenced by objects. */
  readonly namespaces: ReadonlyMap<string, Labels>;
  readonly workloads: readonly Workload[];
  readonly policies: readonly Policy[];
}

/** An object with where it came from, for error messages (`file` or `file#2` for a document). */
export interface SourcedObject {
  readonly source: string;
  readonly object: unknown;
}

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const DEFAULT_NAMESPACE = 'default';

type Obj = Record<string, unknown>;
const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const rec = (v: unknown): Obj => (isRecord(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const show = (v: unknown) => JSON.stringify(v);

function stringMap(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(rec(v)).map(([k, x]) => [k, String(x)]));
}

function podTemplate(kind: string, obj: Obj): Obj {
  const spec = rec(obj.spec);
  if (kind === 'Pod') return obj;
  if (kind === 'CronJob') return rec(rec(rec(spec.jobTemplate).spec).template);
  return rec(spec.template);
}

function containerPorts(template: Obj): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const c of arr(rec(template.spec).containers)) {
    for (const p of arr(rec(c).ports)) {
      const port = rec(p);
      if (typeof port.containerPort !== 'number') continue;
      const protocol = (port.protocol ?? 'TCP') as Protocol;
      out.push({ ...(typeof port.name === 'string' ? { name: port.name } : {}), port: port.containerPort, protocol });
    }
  }
  return out;
}

interface Raw {
  readonly source: string;
  readonly obj: Obj;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

function ownerOf(r: Raw): { kind: string; name: string } | undefined {
  const refs = arr(rec(r.obj.metadata).ownerReferences).map(rec);
  const ref = refs.find((o) => o.controller === true) ?? refs[0];
  return ref && typeof ref.kind === 'string' && typeof ref.name === 'string' ? { kind: ref.kind, name: ref.name } : undefined;
}

/** Builds the cluster model. Throws {@link UserError} for objects the API server would reject. */
export function buildCluster(objects: readonly SourcedObject[]): Cluster {
  const namespaces = new Map<string, Labels>();
  const raws: Raw[] = [];
  const policies: Policy[] = [];
  for (const { source, object } of objects) {
    if (!isRecord(object) || typeof object.kind !== 'string') continue;
    const kind = object.kind;
    const isWorkload = (WORKLOAD_KINDS as readonly string[]).includes(kind);
    if (!isWorkload && kind !== 'Namespace' && kind !== 'NetworkPolicy') continue;
    const meta = rec(object.metadata);
    if (typeof meta.name !== 'string' || meta.name === '') throw new UserError(`${source}: ${kind} has no metadata.name`);
    const name = meta.name;
    if (kind === 'Namespace') {
      namespaces.set(name, { ...stringMap(meta.labels), [NAMESPACE_NAME_LABEL]: name });
      continue;
    }
    const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : DEFAULT_NAMESPACE;
    if (kind === 'NetworkPolicy') policies.push(parsePolicy(source, namespace, name, rec(object.spec)));
    else raws.push({ source, obj: object, kind, namespace, name });
  }

  // Group pods (and ReplicaSets, Jobs...) under their top-most owner: the owner object when it
  // is in the input, else the owner reference itself (np-guard names such pods after it).
  const byKey = new Map(raws.map((r) => [`${r.namespace}/${r.kind}/${r.name}`, r]));
  const top = (r: Raw): { kind: string; name: string } => {
    let cur: { kind: string; name: string } = { kind: r.kind, name: r.name };
    let raw: Raw | undefined = r;
    for (let depth = 0; raw && depth < 10; depth++) {
      const owner = ownerOf(raw);
      if (!owner) break;
      cur = owner;
      raw = byKey.get(`${r.namespace}/${owner.kind}/${owner.name}`);
    }
    return cur;
  };
  const groups = new Map<string, { namespace: string; kind: string; name: string; members: Raw[] }>();
  for (const r of raws) {
    const t = top(r);
    const id = `${r.namespace}/${t.name}[${t.kind}]`;
    const g = groups.get(id) ?? { namespace: r.namespace, kind: t.kind, name: t.name, members: [] };
    g.members.push(r);
    groups.set(id, g);
  }
  const workloads: Workload[] = [];
  for (const [id, g] of groups) {
    // The owner's own template when present; else the first member's (members share a template).
    const rep = g.members.find((m) => m.kind === g.kind && m.name === g.name) ?? [...g.members].sort((a, b) => (a.name < b.name ? -1 : 1))[0]!;
    const template = podTemplate(rep.kind, rep.obj);
    workloads.push({
      id,
      namespace: g.namespace,
      name: g.name,
      kind: g.kind,
      labels: stringMap(rec(template.metadata).labels),
      ports: containerPorts(template),
    });
  }
  workloads.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  for (const ns of [...workloads.map((w) => w.namespace), ...policies.map((p) => p.namespace)]) {
    // A namespace referenced but not declared exists with only its name label.
    if (!namespaces.has(ns)) namespaces.set(ns, { [NAMESPACE_NAME_LABEL]: ns });
  }
  return { namespaces, workloads, policies };
}

const PROTOCOL_SET = new Set(['TCP', 'UDP', 'SCTP']);

function parsePolicy(source: string, namespace: string, name: string, spec: Obj): Policy {
  const fail = (path: string, message: string) => new UserError(`${source}: NetworkPolicy ${namespace}/${name}: ${path}: ${message}`);
  const selector = (raw: unknown, path: string): Selector => {
    try {
      return parseSelector(raw);
    } catch (e) {
      if (e instanceof SelectorError) throw fail(`${path}${e.path}`, e.message);
      throw e;
    }
  };
  const podSelector = selector(spec.podSelector, 'spec.podSelector');

  const ports = (raw: unknown, path: string): PolicyPort[] | undefined => {
    const list = arr(raw);
    if (list.length === 0) return undefined;
    return list.map((p, i) => {
      const at = `${path}[${i}]`;
      const port = rec(p);
      const protocol = port.protocol ?? 'TCP';
      if (typeof protocol !== 'string' || !PROTOCOL_SET.has(protocol)) throw fail(`${at}.protocol`, `${show(protocol)} is not one of "TCP", "UDP", "SCTP"`);
      const proto = protocol as Protocol;
      if (port.port === undefined || port.port === null) {
        if (port.endPort !== undefined) throw fail(`${at}.endPort`, 'needs a port');
        return { protocol: proto };
      }
      if (typeof port.port === 'string' && !/^\d+$/.test(port.port)) {
        if (port.endPort !== undefined) throw fail(`${at}.endPort`, 'may not be used with a named port');
        return { protocol: proto, name: port.port };
      }
      const num = Number(port.port);
      if (!Number.isInteger(num) || num < 1 || num > 65535) throw fail(`${at}.port`, `${show(port.port)} is not a port number (1-65535)`);
      if (port.endPort === undefined || port.endPort === null) return { protocol: proto, start: num, end: num };
      const end = Number(port.endPort);
      if (!Number.isInteger(end) || end < num || end > 65535) throw fail(`${at}.endPort`, `${show(port.endPort)} must be a port number not below port ${num}`);
      return { protocol: proto, start: num, end };
    });
  };

  const peers = (raw: unknown, path: string): Peer[] | undefined => {
    const list = arr(raw);
    if (list.length === 0) return undefined;
    return list.map((p, i) => {
      const at = `${path}[${i}]`;
      const peer = rec(p);
      const hasPods = peer.podSelector !== undefined && peer.podSelector !== null;
      const hasNs = peer.namespaceSelector !== undefined && peer.namespaceSelector !== null;
      const hasBlock = peer.ipBlock !== undefined && peer.ipBlock !== null;
      if (!hasPods && !hasNs && !hasBlock) throw fail(at, 'must specify a peer (podSelector, namespaceSelector or ipBlock)');
      if (hasBlock) {
        if (hasPods || hasNs) throw fail(at, 'ipBlock may not be combined with podSelector or namespaceSelector');
        const block = rec(peer.ipBlock);
        const cidr = typeof block.cidr === 'string' ? parseBlock(block.cidr) : undefined;
        if (!cidr) throw fail(`${at}.ipBlock.cidr`, `${show(block.cidr)} is not a CIDR`);
        const except = arr(block.except).map((e, j) => {
          const r = typeof e === 'string' ? parseBlock(e) : undefined;
          if (!r) throw fail(`${at}.ipBlock.except[${j}]`, `${show(e)} is not a CIDR`);
          if ((r === 'ipv6') !== (cidr === 'ipv6') || (r !== 'ipv6' && cidr !== 'ipv6' && !(cidr.start <= r.start && r.end <= cidr.end))) {
            throw fail(`${at}.ipBlock.except[${j}]`, `${show(e)} is not inside ${show(block.cidr)}`);
          }
          return r;
        });
        // An IPv6 block matches no IPv4 address: a peer that matches nothing.
        if (cidr === 'ipv6') return { kind: 'ipBlock' };
        return { kind: 'ipBlock', block: { cidr, except: except.filter((e) => e !== 'ipv6') } };
      }
      const pods = selector(peer.podSelector, `${at}.podSelector`);
      return hasNs ? { kind: 'pods', namespaces: selector(peer.namespaceSelector, `${at}.namespaceSelector`), pods } : { kind: 'pods', pods };
    });
  };

  const rules = (key: 'ingress' | 'egress'): Rule[] =>
    arr(spec[key]).map((r, i) => {
      const rule = rec(r);
      const peerKey = key === 'ingress' ? 'from' : 'to';
      const ps = peers(rule[peerKey], `spec.${key}[${i}].${peerKey}`);
      const pts = ports(rule.ports, `spec.${key}[${i}].ports`);
      return { ...(ps ? { peers: ps } : {}), ...(pts ? { ports: pts } : {}) };
    });

  const ingressRules = rules('ingress');
  const egressRules = rules('egress');
  let ingress = true;
  let egress = egressRules.length > 0;
  if (spec.policyTypes !== undefined && spec.policyTypes !== null) {
    const types = arr(spec.policyTypes);
    if (types.length > 0) {
      const bad = types.find((t) => t !== 'Ingress' && t !== 'Egress');
      if (bad !== undefined) throw fail('spec.policyTypes', `${show(bad)} is not one of "Ingress", "Egress"`);
      ingress = types.includes('Ingress');
      egress = types.includes('Egress');
    }
  }
  return { namespace, name, podSelector, ingress, egress, ingressRules, egressRules };
}
