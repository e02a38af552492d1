/**
 * The cluster as the analyzer sees it, built from arbitrary API objects: namespaces with their
 * labels, workloads (pods grouped by the workload controller that owns them) and NetworkPolicies,
 * validated the way the API server would so that a policy it would reject fails here with a
 * one-line message.
 *
 * Objects arrive one at a time and only what the analysis reads is kept (labels, container
 * ports, the owner), so a cluster dump of tens of thousands of pods costs little more than its
 * workloads. What the analyzer cannot model is reported as an {@link Issue}, never dropped
 * silently: a document that is not a Kubernetes object, a kind Kubernetes does not serve in the
 * group named, a workload or Namespace whose fields do not have the API's types.
 */
import { UserError } from '../lib/errors';
import { servedKinds } from '../lib/kinds';
import type { Protocol } from './conns';
import { type IpBlock, parseBlock } from './ip';
import { type Labels, parseSelector, type Selector, SelectorError } from './selectors';

/** The API group of each kind the analyzer models (`""`: the core group, `v1`). */
const MODELLED_KINDS: Readonly<Record<string, string>> = {
  Namespace: '',
  NetworkPolicy: 'networking.k8s.io',
  Pod: '',
  ReplicationController: '',
  Deployment: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  ReplicaSet: 'apps',
  Job: 'batch',
  CronJob: 'batch',
};

/** Workload controllers: the only owners that make pods one workload (np-guard's and the API's controllers). */
const CONTROLLER_KINDS = new Set(['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController']);

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

/** An object with where it came from, for messages (`file (document 2)`, `... items[3]` for a list item). */
export interface SourcedObject {
  readonly source: string;
  readonly object: unknown;
}

/** An object the analyzer could not model, and why: one line, `source: message`. */
export interface Issue {
  readonly source: string;
  readonly message: string;
}

export interface BuildOptions {
  /** Called for each object left out of the model (see {@link Issue}); by default they are dropped. */
  readonly onIssue?: (issue: Issue) => void;
}

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const DEFAULT_NAMESPACE = 'default';

type Obj = Record<string, unknown>;
const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v);
const absent = (v: unknown) => v === undefined || v === null;

/** What a value is, for messages: `a list`, `a string`... */
function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a map' : `a ${typeof v}`;
}

/** A field of the wrong type: the object is left out of the model with this message. */
class ShapeError extends Error {}

function shapeMap(v: unknown, path: string): Obj {
  if (absent(v)) return {};
  if (!isRecord(v)) throw new ShapeError(`${path} is ${typeName(v)}, not a map`);
  return v;
}

function shapeList(v: unknown, path: string): unknown[] {
  if (absent(v)) return [];
  if (!Array.isArray(v)) throw new ShapeError(`${path} is ${typeName(v)}, not a list`);
  return v;
}

function shapeLabels(v: unknown, path: string): Record<string, string> {
  const map = shapeMap(v, path);
  for (const [k, x] of Object.entries(map)) {
    if (typeof x !== 'string') throw new ShapeError(`${path}.${k} is ${show(x)}, not a string (quote it)`);
  }
  return map as Record<string, string>;
}

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

function shapePorts(template: Obj, path: string): ContainerPort[] {
  const out: ContainerPort[] = [];
  const spec = shapeMap(template.spec, `${path}.spec`);
  for (const [i, c] of shapeList(spec.containers, `${path}.spec.containers`).entries()) {
    const at = `${path}.spec.containers[${i}]`;
    for (const [j, p] of shapeList(shapeMap(c, at).ports, `${at}.ports`).entries()) {
      const port = shapeMap(p, `${at}.ports[${j}]`);
      const n = port.containerPort;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
        throw new ShapeError(`${at}.ports[${j}].containerPort is ${show(n)}, not a port number (1-65535)`);
      }
      if (!absent(port.name) && typeof port.name !== 'string') throw new ShapeError(`${at}.ports[${j}].name is ${show(port.name)}, not a string`);
      const protocol = port.protocol ?? 'TCP';
      if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol)) {
        throw new ShapeError(`${at}.ports[${j}].protocol is ${show(protocol)}, not one of "TCP", "UDP", "SCTP"`);
      }
      out.push({ ...(typeof port.name === 'string' ? { name: port.name } : {}), port: n, protocol: protocol as Protocol });
    }
  }
  return out;
}

/** Where a workload kind keeps its pod template (a Pod is its own). */
function podTemplate(kind: string, obj: Obj): { template: Obj; path: string } {
  if (kind === 'Pod') return { template: obj, path: '' };
  const spec = shapeMap(obj.spec, 'spec');
  if (kind === 'CronJob') {
    const job = shapeMap(spec.jobTemplate, 'spec.jobTemplate');
    return {
      template: shapeMap(shapeMap(job.spec, 'spec.jobTemplate.spec').template, 'spec.jobTemplate.spec.template'),
      path: 'spec.jobTemplate.spec.template',
    };
  }
  return { template: shapeMap(spec.template, 'spec.template'), path: 'spec.template' };
}

/** The ownerReference naming a pod's (or ReplicaSet's, Job's) controller when it is a workload controller. */
function controllerOf(meta: Obj): { kind: string; name: string } | undefined {
  const refs = shapeList(meta.ownerReferences, 'metadata.ownerReferences').map((r, i) => shapeMap(r, `metadata.ownerReferences[${i}]`));
  // The API marks at most one reference as the controller; other owners only garbage-collect.
  const ref = refs.find((r) => r.controller === true);
  if (!ref) return undefined;
  if (typeof ref.kind !== 'string' || typeof ref.name !== 'string' || ref.name === '') {
    throw new ShapeError('metadata.ownerReferences: the controller reference needs a kind and a name');
  }
  // A static pod is owned by its Node (and an operator's pod by its custom resource): it is a
  // workload of its own. Only controllers of the workload kinds group pods.
  if (!CONTROLLER_KINDS.has(ref.kind)) return undefined;
  const group = typeof ref.apiVersion === 'string' && ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0]! : '';
  if (typeof ref.apiVersion === 'string' && group !== MODELLED_KINDS[ref.kind]) return undefined;
  return { kind: ref.kind, name: ref.name };
}

/** A Kubernetes group (its own, not a custom resource's): no dot, or under k8s.io. */
/** Groups of the modelled kinds: any other kind Kubernetes serves there is a typo (`apps/v1 Deploymnet`) that would otherwise hide a workload. */
const MODELLED_GROUPS = new Set(Object.values(MODELLED_KINDS));

const isKubernetesGroup = (group: string) => !group.includes('.') || group.endsWith('.k8s.io');

/** A workload object reduced to what the analysis reads. */
interface Raw {
  readonly source: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly owner?: { readonly kind: string; readonly name: string };
  readonly labels: Labels;
  readonly ports: readonly ContainerPort[];
}

/**
 * Builds the cluster model from objects given one at a time. Throws {@link UserError} for objects
 * the API server would reject in what decides connectivity (a NetworkPolicy, a name); reports
 * through `onIssue` the objects it leaves out.
 */
export function buildCluster(objects: Iterable<SourcedObject>, options: BuildOptions = {}): Cluster {
  const namespaces = new Map<string, Labels>();
  const raws: Raw[] = [];
  const policies: Policy[] = [];
  for (const { source, object } of objects) {
    const issue = add(source, object);
    if (issue) options.onIssue?.({ source, message: issue });
  }

  /** Models one object; returns why it is left out, if it is. */
  function add(source: string, object: unknown): string | undefined {
    if (object === null || object === undefined) return undefined;
    if (!isRecord(object)) return `not a Kubernetes object (${typeName(object)})`;
    const { kind, apiVersion } = object;
    const meta = isRecord(object.metadata) ? object.metadata : {};
    const named =
      typeof meta.name === 'string' && meta.name ? ` ${typeof meta.namespace === 'string' && meta.namespace ? `${meta.namespace}/` : ''}${meta.name}` : '';
    if (typeof kind !== 'string' || kind === '') return 'not a Kubernetes object (no kind)';
    if (typeof apiVersion !== 'string' || apiVersion === '') return `not a Kubernetes object (${kind}${named} without apiVersion)`;
    const what = `${apiVersion} ${kind}${named}`;
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    const expected = MODELLED_KINDS[kind];
    if (kind.endsWith('List') && isKubernetesGroup(group)) {
      // Lists reach the model only when their items are not a list (see read.ts).
      return `${what}: ${'items' in object ? `items is ${typeName(object.items)}, not a list` : 'a list without items'}; not analysed`;
    }
    if (expected === undefined || group !== expected) {
      // Other kinds are outside the analysis, and so is a custom resource (its group has a dot)
      // named like a modelled kind; a kind Kubernetes' own group does not serve is a mistake.
      if (expected !== undefined && isKubernetesGroup(group)) return `${what}: unknown kind (${kind} is ${expected ? `${expected}/v1` : 'v1'}); not analysed`;
      // Kinds of other groups (Services, RBAC, custom resources) are outside the analysis and pass silently.
      const served = MODELLED_GROUPS.has(group) ? servedKinds(group) : undefined;
      if (served && !served.includes(kind)) return `${what}: unknown kind (${group || 'the core group'} serves ${served.join(', ')}); not analysed`;
      return undefined;
    }
    if (!absent(object.metadata) && !isRecord(object.metadata)) return `${what}: metadata is ${typeName(object.metadata)}, not a map; not analysed`;
    if (typeof meta.name !== 'string' || meta.name === '') throw new UserError(`${source}: ${kind} has no metadata.name`);
    const name = meta.name;
    if (!absent(meta.namespace) && typeof meta.namespace !== 'string')
      return `${what}: metadata.namespace is ${typeName(meta.namespace)}, not a string; not analysed`;
    const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : DEFAULT_NAMESPACE;
    if (kind === 'NetworkPolicy') {
      policies.push(parsePolicy(source, namespace, name, object.spec));
      return undefined;
    }
    try {
      if (kind === 'Namespace') {
        namespaces.set(name, { ...shapeLabels(meta.labels, 'metadata.labels'), [NAMESPACE_NAME_LABEL]: name });
        return undefined;
      }
      const { template, path } = podTemplate(kind, object);
      const templateMeta = path ? shapeMap(template.metadata, `${path}.metadata`) : meta;
      const labels = shapeLabels(templateMeta.labels, `${path ? `${path}.` : ''}metadata.labels`);
      const ports = shapePorts(template, path);
      const owner = controllerOf(meta);
      raws.push({ source, kind, namespace, name, ...(owner ? { owner } : {}), labels, ports });
      return undefined;
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      return `${what}: ${e.message.replace(/^\./, '')}; not analysed`;
    }
  }

  // Group pods (and ReplicaSets, Jobs...) under their top-most controller: the owner object when
  // it is in the input, else the owner reference itself (np-guard names such pods after it).
  const byKey = new Map(raws.map((r) => [`${r.namespace}/${r.kind}/${r.name}`, r]));
  const top = (r: Raw): { kind: string; name: string } => {
    let cur: { kind: string; name: string } = { kind: r.kind, name: r.name };
    let raw: Raw | undefined = r;
    for (let depth = 0; raw?.owner && depth < 10; depth++) {
      cur = raw.owner;
      raw = byKey.get(`${r.namespace}/${cur.kind}/${cur.name}`);
    }
    return cur;
  };
  const groups = new Map<string, { namespace: string; kind: string; name: string; members: Raw[] }>();
  for (const r of raws) {
    const t = top(r);
    const id = `${r.namespace}/${t.name}[${t.kind}]`;
    const g = groups.get(id);
    if (g) g.members.push(r);
    else groups.set(id, { namespace: r.namespace, kind: t.kind, name: t.name, members: [r] });
  }
  const workloads: Workload[] = [];
  for (const [id, g] of groups) {
    // The owner's own template when present; else the first member's (members share a template).
    const rep = g.members.find((m) => m.kind === g.kind && m.name === g.name) ?? g.members.reduce((a, b) => (b.name < a.name ? b : a));
    workloads.push({ id, namespace: g.namespace, name: g.name, kind: g.kind, labels: rep.labels, ports: rep.ports });
  }
  workloads.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  for (const ns of [...workloads.map((w) => w.namespace), ...policies.map((p) => p.namespace)]) {
    // A namespace referenced but not declared exists with only its name label.
    if (!namespaces.has(ns)) namespaces.set(ns, { [NAMESPACE_NAME_LABEL]: ns });
  }
  return { namespaces, workloads, policies };
}

function parsePolicy(source: string, namespace: string, name: string, rawSpec: unknown): Policy {
  const fail = (path: string, message: string) => new UserError(`${source}: NetworkPolicy ${namespace}/${name}: ${path}: ${message}`);
  // The API server rejects a field of the wrong type; reading it as empty would change what is allowed.
  const map = (v: unknown, path: string): Obj => {
    if (absent(v)) return {};
    if (!isRecord(v)) throw fail(path, `is ${typeName(v)}, not a map`);
    return v;
  };
  const list = (v: unknown, path: string): unknown[] => {
    if (absent(v)) return [];
    if (!Array.isArray(v)) throw fail(path, `is ${typeName(v)}, not a list`);
    return v;
  };
  const spec = map(rawSpec, 'spec');
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
    const entries = list(raw, path);
    if (entries.length === 0) return undefined;
    return entries.map((p, i) => {
      const at = `${path}[${i}]`;
      const port = map(p, at);
      const protocol = port.protocol ?? 'TCP';
      if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol)) throw fail(`${at}.protocol`, `${show(protocol)} is not one of "TCP", "UDP", "SCTP"`);
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
    const entries = list(raw, path);
    if (entries.length === 0) return undefined;
    return entries.map((p, i) => {
      const at = `${path}[${i}]`;
      const peer = map(p, at);
      const hasPods = peer.podSelector !== undefined && peer.podSelector !== null;
      const hasNs = peer.namespaceSelector !== undefined && peer.namespaceSelector !== null;
      const hasBlock = peer.ipBlock !== undefined && peer.ipBlock !== null;
      if (!hasPods && !hasNs && !hasBlock) throw fail(at, 'must specify a peer (podSelector, namespaceSelector or ipBlock)');
      if (hasBlock) {
        if (hasPods || hasNs) throw fail(at, 'ipBlock may not be combined with podSelector or namespaceSelector');
        const block = map(peer.ipBlock, `${at}.ipBlock`);
        const cidr = typeof block.cidr === 'string' ? parseBlock(block.cidr) : undefined;
        if (!cidr) throw fail(`${at}.ipBlock.cidr`, `${show(block.cidr)} is not a CIDR`);
        const except = list(block.except, `${at}.ipBlock.except`).map((e, j) => {
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
    list(spec[key], `spec.${key}`).map((r, i) => {
      const rule = map(r, `spec.${key}[${i}]`);
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
    const types = list(spec.policyTypes, 'spec.policyTypes');
    if (types.length > 0) {
      const bad = types.find((t) => t !== 'Ingress' && t !== 'Egress');
      if (bad !== undefined) throw fail('spec.policyTypes', `${show(bad)} is not one of "Ingress", "Egress"`);
      ingress = types.includes('Ingress');
      egress = types.includes('Egress');
    }
  }
  return { namespace, name, podSelector, ingress, egress, ingressRules, egressRules };
}
