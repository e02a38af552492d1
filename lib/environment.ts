/**
 * The environment model: everything a user changes day to day, as typed data validated when
 * loaded. Charts (and the infra program) only read an {@link Environment}; they never re-check
 * what this schema guarantees.
 */
import { z } from 'zod';
import { contains, isCidr, overlaps, parseCidr } from './cidr';
import type { Component, SettingsBlock, WorkloadRef } from './component';
import { infraSchema } from './environment-infra';

// ---------------------------------------------------------------------------------------------
// Scalars

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** IANA service name, the rule Kubernetes applies to container port names. */
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

const show = (value: unknown) => JSON.stringify(value);

const dnsLabel = z.string().refine((s) => s.length <= 63 && DNS_LABEL.test(s), {
  error: (i) => `${show(i.input)} is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
});

const port = z.number().refine((n) => Number.isInteger(n) && n >= 1 && n <= 65535, { error: (i) => `${show(i.input)} is not a port number (1-65535)` });

const portName = z.string().refine((s) => s.length <= 15 && PORT_NAME.test(s), {
  error: (i) => `${show(i.input)} is not a port name (at most 15 lowercase letters, digits and "-", with a letter)`,
});

const cidr = z.string().refine(isCidr, { error: (i) => `${show(i.input)} is not an IPv4 CIDR` });

const quantity = z.string().refine((s) => QUANTITY.test(s), { error: (i) => `${show(i.input)} is not a Kubernetes quantity` });

/** An image reference with a pinned tag or digest; `latest` and tag-less references are rejected. */
const pinnedImage = z.string().superRefine((s, ctx) => {
  if (!IMAGE.test(s)) {
    ctx.addIssue({ code: 'custom', message: `${show(s)} is not an image reference` });
    return;
  }
  const lastSegment = s.split('/').pop()!;
  const tag = lastSegment.includes(':') ? lastSegment.split(':')[1]!.split('@')[0] : undefined;
  const digest = s.includes('@sha256:');
  if (!digest && (tag === undefined || tag === 'latest')) {
    ctx.addIssue({ code: 'custom', message: `${show(s)} is not pinned (use an explicit version tag or a digest, never latest)` });
  }
});

export const protocol = z.enum(['TCP', 'UDP', 'SCTP']);
export type Protocol = z.infer<typeof protocol>;

// ---------------------------------------------------------------------------------------------
// Apps

const resources = z.strictObject({
  requests: z.strictObject({ cpu: quantity, memory: quantity }),
  limits: z.strictObject({ cpu: quantity, memory: quantity }),
});

const appPort = z.strictObject({
  /** The port the container listens on. */
  containerPort: port,
  /** The Service port. @default containerPort */
  servicePort: port.optional(),
  /** @default "TCP" */
  protocol: protocol.default('TCP'),
});

const app = z.strictObject({
  /** A namespace declared in `namespaces`. */
  namespace: dnsLabel,
  /** A pinned image: a version tag or a digest. */
  image: pinnedImage,
  /** @default 1 */
  replicas: z.number().int().min(0).max(100).default(1),
  args: z.array(z.string()).default([]),
  /** Named ports; names are what flows refer to. */
  ports: z.record(portName, appPort).refine((p) => Object.keys(p).length > 0, { error: 'an app needs at least one port' }),
  /** @default requests 50m/64Mi, limits 200m/128Mi */
  resources: resources.default({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } }),
  /** Plain, non-secret environment variables. */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
});

// ---------------------------------------------------------------------------------------------
// Flows

/**
 * A flow or blocked-path endpoint:
 * - `"<namespace>/<workload>"`: an app, or a platform workload (e.g. `twingate/connector`);
 * - `"<namespace>/*"`: every pod of a namespace;
 * - `{ cidr, except }`: addresses outside the cluster.
 */
const peer = z.union([
  z.string().refine((s) => /^[a-z0-9-]+\/([a-z0-9-]+|\*)$/.test(s), {
    error: (i) => `${show(i.input)} is not a peer ("<namespace>/<workload>", "<namespace>/*" or { cidr })`,
  }),
  z.strictObject({ cidr, except: z.array(cidr).default([]) }),
]);

const flow = z.strictObject({
  from: peer,
  to: peer,
  /** A named port of the destination app, or a number. */
  port: z.union([port, portName]),
  /** Last port of a range starting at `port` (numeric `port` only). */
  endPort: port.optional(),
  /** @default "TCP" (for a named port: the port's own protocol) */
  protocol: protocol.optional(),
  /** Why this flow exists; shown in ACCESS.md. */
  description: z.string().optional(),
});

const blocked = z.strictObject({
  from: peer,
  to: peer,
  /** Why this path must stay closed. */
  reason: z.string().optional(),
});

// ---------------------------------------------------------------------------------------------
// Identity

const groupName = z.string().refine((s) => s.trim() === s && s.length > 0 && s.length <= 128, { error: (i) => `${show(i.input)} is not a group name` });

export const KUBERNETES_ROLES = ['view', 'edit', 'admin', 'cluster-admin'] as const;

const access = z.strictObject({
  /** A group declared in `groups`. */
  group: groupName,
  /** Apps this group may reach through Twingate. */
  resources: z.array(dnsLabel).default([]),
  /** ClusterRole the group gets on this cluster through the access gateway; none when absent. */
  kubernetesRole: z.enum(KUBERNETES_ROLES).optional(),
});

const chartVersion = z.string().refine((s) => SEMVER.test(s), { error: (i) => `${show(i.input)} is not a pinned chart version (x.y.z)` });

// ---------------------------------------------------------------------------------------------
// The environment

/**
 * The fields every environment has. Component settings blocks (e.g. `twingate`) join them at
 * the top level: {@link environmentSchema} builds the whole schema from the registry.
 */
const baseShape = {
  name: dnsLabel,
  aws: z.strictObject({
    region: z.string().refine((s) => AWS_REGION.test(s), { error: (i) => `${show(i.input)} is not an AWS region` }),
  }),
  cluster: z.strictObject({
    name: dnsLabel,
    /** EKS minor version, e.g. "1.31". */
    kubernetesVersion: z.string().regex(/^1\.\d+$/, { error: (i) => `${show(i.input)} is not a Kubernetes minor version like "1.31"` }),
    /** @default "cluster.local" */
    domain: z
      .string()
      .refine((s) => s.split('.').every((l) => DNS_LABEL.test(l)), { error: (i) => `${show(i.input)} is not a DNS domain` })
      .default('cluster.local'),
  }),
  network: z.strictObject({
    vpcCidr: cidr,
    /** Where pods take addresses; with the VPC CNI this is (part of) the VPC. */
    podCidr: cidr,
    serviceCidr: cidr,
  }),
  /** Namespaces the platform owns: each gets Pod Security "restricted" and default deny. */
  namespaces: z.array(dnsLabel).min(1),
  apps: z.record(dnsLabel, app).default({}),
  /** Allowed connections; rendered as NetworkPolicy allows. Nothing else is allowed. */
  flows: z.array(flow).default([]),
  /** Paths that must stay closed. */
  blocked: z.array(blocked).default([]),
  /** Identity-provider (Twingate) group names used by `access`. */
  groups: z.array(groupName).default([]),
  access: z.array(access).default([]),
  /** Cloud settings only the Pulumi program reads (`infra/`); see environment-infra.ts. */
  infra: infraSchema.optional(),
  /** Platform components switched on (names from the registry). @default ["network-policy"] */
  components: z.array(z.string()).default(['network-policy']),
  /** Pinned upstream chart versions, overriding each component's default. */
  charts: z.record(z.string(), chartVersion).default({}),
};

const baseSchema = z.strictObject(baseShape);
type Parsed = z.output<typeof baseSchema>;
/** The fields every environment file may set, without component settings blocks. */
export type BaseEnvironmentInput = z.input<typeof baseSchema>;
export type FlowInput = z.input<typeof flow>;
export type Flow = Parsed['flows'][number];
export type Peer = Flow['from'];

/** A flow endpoint, resolved once against the environment's workloads. */
export type Endpoint =
  | { readonly kind: 'workload'; readonly workload: WorkloadRef }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'cidr'; readonly cidr: string; readonly except: readonly string[] };

/** A flow with its ends and port resolved; `origin` names the component that needs it, if any. */
export interface ResolvedFlow extends Flow {
  readonly source: Endpoint;
  readonly destination: Endpoint;
  /** Numeric port (a named port resolves to the destination's container port) and protocol. */
  readonly ports: { readonly protocol: Protocol; readonly port: number; readonly endPort?: number };
  readonly origin?: string;
}

/** A validated environment, with defaults filled in and references resolved. */
export interface Environment extends Omit<Parsed, 'charts' | 'flows' | 'components'> {
  /** Every chart of the registry with its pinned version (defaults merged). */
  readonly charts: Readonly<Record<string, string>>;
  /** Enabled platform components, listed or enabled by another fact of the environment, in registry order. */
  readonly components: readonly string[];
  /** Declared flows, then the flows enabled components need, all resolved. */
  readonly flows: readonly ResolvedFlow[];
  /** Apps and the pods of enabled platform components. */
  readonly workloads: readonly WorkloadRef[];
  /** Resolved settings blocks of components, by key (read them with `settingsOf`). */
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * Builds the environment schema: the base fields plus each component's settings block at the
 * top level (optional; a component that needs its block says so when enabled).
 */
function environmentSchema(components: readonly Component[]) {
  const blocks = settingsBlocks(components);
  return z.strictObject({ ...baseShape, ...Object.fromEntries(blocks.map((b) => [b.key, b.schema.optional()])) });
}

/** The distinct settings blocks of a component list, in order. */
export function settingsBlocks(components: readonly Component[]): SettingsBlock<z.ZodType, unknown>[] {
  const blocks: SettingsBlock<z.ZodType, unknown>[] = [];
  for (const c of components) {
    if (!c.settings) continue;
    const same = blocks.find((b) => b.key === c.settings!.key);
    if (same && same !== c.settings) throw new Error(`internal: two settings blocks named ${c.settings.key}`);
    if (!same) blocks.push(c.settings);
  }
  return blocks;
}

export interface Problem {
  /** Field path such as `flows[0].to`; empty for the whole environment. */
  readonly path: string;
  readonly message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `${i === 0 ? '' : '.'}${String(p)}` : `[${show(String(p))}]`))
    .join('');
}

function zodProblem(issue: z.core.$ZodIssue): Problem {
  const path = formatPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type') {
    return { path, message: input === undefined ? 'is required' : `${show(input)} is not a ${issue.expected}` };
  }
  if (issue.code === 'unrecognized_keys') {
    return { path, message: `unknown field ${issue.keys.map(show).join(', ')}` };
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return { path, message: `${show(input)} is not one of ${issue.values.map(show).join(', ')}` };
  }
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0];
    return { path, message: `key ${inner ? inner.message : 'is invalid'}` };
  }
  return { path, message: issue.message };
}

/** The label every workload's pods carry and every policy selects on. */
export const NAME_LABEL = 'app.kubernetes.io/name';

/**
 * Validates one environment against a component catalogue (the registry): the schema first,
 * then the components (names, dependencies, settings blocks), then cross-references. Returns
 * the first problem (users fix one line at a time) or the resolved environment.
 */
export function validateEnvironment(input: unknown, catalogue: readonly Component[]): { env: Environment } | { problem: Problem } {
  const parsed = environmentSchema(catalogue).safeParse(input, { reportInput: true });
  if (!parsed.success) return { problem: zodProblem(parsed.error.issues[0]!) };
  const data = parsed.data as Parsed & Record<string, unknown>;
  const base: Environment = { ...data, flows: [], components: [], charts: {}, workloads: [], settings: {} };

  for (const name of Object.keys(data.apps)) {
    // An app is a component of its own: it would share the platform component's dist/ directory.
    if (catalogue.some((c) => c.name === name))
      return { problem: { path: `apps.${name}`, message: `${show(name)} is the name of a platform component; choose another app name` } };
  }
  const chartProblem = checkCharts(data.charts, catalogue);
  if (chartProblem) return { problem: chartProblem };
  const charts = Object.fromEntries(catalogue.filter((c) => c.chart).map((c) => [c.chart!.chart, data.charts[c.chart!.chart] ?? c.chart!.version]));

  // Settings first: `enabled` predicates and workloads read them.
  const settings: Record<string, unknown> = {};
  let env: Environment = { ...base, charts };
  for (const block of settingsBlocks(catalogue)) {
    if (data[block.key] !== undefined) settings[block.key] = block.resolve(data[block.key], env);
  }
  env = { ...env, settings };

  const enabled = enabledComponents(env, data.components, catalogue);
  if ('problem' in enabled) return enabled;
  const components = enabled.components;
  env = { ...env, components: components.map((c) => c.name) };
  for (const c of components) {
    if (c.settings && settings[c.settings.key] === undefined) {
      const i = data.components.indexOf(c.name);
      return { problem: { path: i >= 0 ? `components[${i}]` : 'components', message: `${show(c.name)} needs a ${c.settings.key} block` } };
    }
  }

  const appWorkloads: WorkloadRef[] = Object.entries(data.apps).map(([name, a]) => ({
    namespace: a.namespace,
    name,
    labels: { [NAME_LABEL]: name },
    ports: Object.fromEntries(Object.entries(a.ports).map(([n, p]) => [n, { containerPort: p.containerPort, protocol: p.protocol }])),
  }));
  env = { ...env, workloads: [...appWorkloads, ...components.flatMap((c) => c.workloads?.(env) ?? [])] };

  const [general] = checkShape(env);
  if (general) return { problem: general };
  // A component's settings are checked before the flows that may name its pods.
  for (const block of settingsBlocks(catalogue)) {
    if (settings[block.key] === undefined) continue;
    const problem = [...(block.check?.(env) ?? [])][0];
    if (problem) return { problem };
  }
  const declared = [...checkReferences(env, data.flows)];
  if (declared[0]) return { problem: declared[0] };
  const flows: ResolvedFlow[] = data.flows.map((f) => resolveFlow(env, f));
  for (const c of components) {
    for (const [i, input] of (c.flows?.(env) ?? []).entries()) {
      const f = flow.parse(input);
      const problem = [...checkFlow(env.workloads, f, `component ${c.name}: flows[${i}]`)][0];
      // A component's own flow naming nothing is a bug in the component, not in the environment.
      if (problem) throw new Error(`internal: ${problem.path}: ${problem.message}`);
      flows.push(resolveFlow(env, f, c.name));
    }
  }
  env = { ...env, flows };
  const dup = duplicate(flows, (f) => JSON.stringify([f.from, f.to, f.port, f.endPort, f.protocol]));
  if (dup >= 0) {
    const f = flows[dup]!;
    return {
      problem: {
        path: f.origin ? `flows` : `flows[${dup}]`,
        message: f.origin ? `${describeFlow(f)} is already declared by component ${f.origin}; remove it` : 'duplicates an earlier flow',
      },
    };
  }

  return { env };
}

function checkCharts(charts: Readonly<Record<string, string>>, catalogue: readonly Component[]): Problem | undefined {
  const known = catalogue.filter((c) => c.chart).map((c) => c.chart!.chart);
  for (const name of Object.keys(charts)) {
    if (!known.includes(name)) return { path: `charts[${show(name)}]`, message: `unknown chart (known: ${known.map(show).join(', ')})` };
  }
  return undefined;
}

/** Listed components plus those enabled by the environment itself, in catalogue order, with their dependencies checked. */
function enabledComponents(env: Environment, listed: readonly string[], catalogue: readonly Component[]): { components: Component[] } | { problem: Problem } {
  const switchable = catalogue.filter((c) => c.enabled === undefined).map((c) => c.name);
  for (const [i, name] of listed.entries()) {
    const c = catalogue.find((x) => x.name === name);
    if (!c) return { problem: { path: `components[${i}]`, message: `${show(name)} is not one of ${switchable.map(show).join(', ')}` } };
    if (c.enabled === 'always') return { problem: { path: `components[${i}]`, message: `${show(name)} is always rendered; remove it` } };
    if (c.enabled) return { problem: { path: `components[${i}]`, message: `${show(name)} is enabled by the environment's settings (see docs); remove it` } };
    if (listed.indexOf(name) !== i) return { problem: { path: `components[${i}]`, message: `${show(name)} is listed twice` } };
  }
  const on = (c: Component) => {
    if (c.enabled === 'always') return true;
    if (typeof c.enabled === 'function') return c.settings && env.settings[c.settings.key] === undefined ? false : c.enabled(env);
    return listed.includes(c.name);
  };
  const components = catalogue.filter(on);
  const names = components.map((c) => c.name);
  const where = (name: string) => (listed.includes(name) ? `components[${listed.indexOf(name)}]` : 'components');
  for (const c of components) {
    for (const r of c.requires ?? []) {
      if (!names.includes(r)) return { problem: { path: where(c.name), message: `${show(c.name)} needs ${show(r)}` } };
    }
    for (const x of c.conflicts ?? []) {
      if (names.includes(x)) return { problem: { path: where(c.name), message: `${show(c.name)} cannot be enabled with ${show(x)}` } };
    }
  }
  return { components };
}

/** The workloads an environment knows: apps and the pods of its enabled platform components. */
export function workloads(env: Pick<Environment, 'workloads'>): readonly WorkloadRef[] {
  return env.workloads;
}

/** `from -> to : port`, as flows are shown to people. */
export function describeFlow(f: Pick<Flow, 'from' | 'to' | 'port' | 'endPort'>): string {
  return `${describePeer(f.from)} -> ${describePeer(f.to)} : ${f.port}${f.endPort ? `-${f.endPort}` : ''}`;
}

export function describePeer(p: Peer): string {
  return typeof p === 'string' ? p : `${p.cidr}${p.except.length ? ` except ${p.except.join(',')}` : ''}`;
}

function endpoint(known: readonly WorkloadRef[], p: Peer): Endpoint {
  if (typeof p !== 'string') return { kind: 'cidr', cidr: p.cidr, except: p.except };
  const [namespace, name] = p.split('/') as [string, string];
  if (name === '*') return { kind: 'namespace', namespace };
  const workload = known.find((w) => w.namespace === namespace && w.name === name);
  // Validation guarantees the reference; reaching this is a bug, not a user error.
  if (!workload) throw new Error(`internal: unresolved workload ${p}`);
  return { kind: 'workload', workload };
}

function resolveFlow(env: Environment, f: Flow, origin?: string): ResolvedFlow {
  const source = endpoint(env.workloads, f.from);
  const destination = endpoint(env.workloads, f.to);
  let ports: ResolvedFlow['ports'];
  if (typeof f.port === 'string') {
    const named = (destination as Extract<Endpoint, { kind: 'workload' }>).workload.ports[f.port]!;
    ports = { protocol: f.protocol ?? named.protocol, port: named.containerPort };
  } else {
    ports = { protocol: f.protocol ?? 'TCP', port: f.port, ...(f.endPort !== undefined ? { endPort: f.endPort } : {}) };
  }
  return { ...f, source, destination, ports, ...(origin ? { origin } : {}) };
}

function duplicate<T>(items: readonly T[], key: (t: T) => string): number {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const k = key(items[i]!);
    if (seen.has(k)) return i;
    seen.add(k);
  }
  return -1;
}

/** Checks of the environment's own fields: CIDRs, namespaces, ports. */
function* checkShape(env: Environment): Generator<Problem> {
  yield* checkNetwork(env);
  yield* checkNamespaces(env);
}

/** Checks of references between fields: flows and blocked paths to workloads and ports, access rows to groups and apps. */
function* checkReferences(env: Environment, flows: readonly Flow[]): Generator<Problem> {
  yield* checkFlows(env, flows);
  yield* checkIdentity(env);
}

function* checkNetwork(env: Environment): Generator<Problem> {
  const vpc = parseCidr(env.network.vpcCidr)!;
  const pods = parseCidr(env.network.podCidr)!;
  const services = parseCidr(env.network.serviceCidr)!;
  if (overlaps(services, vpc)) {
    yield { path: 'network.serviceCidr', message: `${show(env.network.serviceCidr)} overlaps the VPC CIDR ${show(env.network.vpcCidr)}` };
  }
  if (overlaps(services, pods)) {
    yield { path: 'network.serviceCidr', message: `${show(env.network.serviceCidr)} overlaps the pod CIDR ${show(env.network.podCidr)}` };
  }
  if (!contains(vpc, pods)) {
    // The VPC CNI gives pods VPC addresses; a pod CIDR outside the VPC means a typo.
    yield { path: 'network.podCidr', message: `${show(env.network.podCidr)} is not inside the VPC CIDR ${show(env.network.vpcCidr)}` };
  }
}

function* checkNamespaces(env: Environment): Generator<Problem> {
  const dup = duplicate(env.namespaces, (n) => n);
  if (dup >= 0) yield { path: `namespaces[${dup}]`, message: `${show(env.namespaces[dup])} is declared twice` };
  const reserved = env.namespaces.findIndex((n) => n === 'kube-system' || n === 'kube-public' || n === 'default' || n.startsWith('kube-'));
  if (reserved >= 0)
    yield { path: `namespaces[${reserved}]`, message: `${show(env.namespaces[reserved])} is a Kubernetes system namespace; the platform cannot own it` };
  const declared = new Set(env.namespaces);
  for (const [name, a] of Object.entries(env.apps)) {
    if (!declared.has(a.namespace)) {
      yield { path: `apps.${name}.namespace`, message: `namespace ${show(a.namespace)} is not declared in namespaces` };
    }
    const containerDup = duplicate(Object.values(a.ports), (p) => `${p.containerPort}/${p.protocol}`);
    if (containerDup >= 0) {
      yield {
        path: `apps.${name}.ports.${Object.keys(a.ports)[containerDup]}.containerPort`,
        message: `${Object.values(a.ports)[containerDup]!.containerPort} is used by two ports`,
      };
    }
    const serviceDup = duplicate(Object.values(a.ports), (p) => `${p.servicePort ?? p.containerPort}/${p.protocol}`);
    if (serviceDup >= 0) {
      yield {
        path: `apps.${name}.ports.${Object.keys(a.ports)[serviceDup]}.servicePort`,
        message: `service port ${Object.values(a.ports)[serviceDup]!.servicePort ?? Object.values(a.ports)[serviceDup]!.containerPort} is used by two ports`,
      };
    }
  }
}

/**
 * Resolves a peer to the workload it names, or explains why it names none. A namespace
 * wildcard may name any namespace: flows from `kube-system/*` or an ingress namespace are
 * legitimate, and only the ends the platform owns get policies.
 */
function resolvePeer(known: readonly WorkloadRef[], p: Peer): WorkloadRef | 'namespace' | 'cidr' | string {
  if (typeof p !== 'string') return 'cidr';
  const [ns, name] = p.split('/') as [string, string];
  if (name === '*') {
    return 'namespace';
  }
  const w = known.find((k) => k.namespace === ns && k.name === name);
  if (w) return w;
  const elsewhere = known.find((k) => k.name === name);
  return elsewhere
    ? `unknown workload ${show(p)} (did you mean "${elsewhere.namespace}/${elsewhere.name}"?)`
    : `unknown workload ${show(p)} (not an app or platform workload of this environment)`;
}

function* checkFlows(env: Environment, flows: readonly Flow[]): Generator<Problem> {
  for (const [i, f] of flows.entries()) yield* checkFlow(env.workloads, f, `flows[${i}]`);
  const dup = duplicate(flows, (f) => JSON.stringify([f.from, f.to, f.port, f.endPort, f.protocol]));
  if (dup >= 0) yield { path: `flows[${dup}]`, message: 'duplicates an earlier flow' };
  for (const [i, b] of env.blocked.entries()) {
    for (const side of ['from', 'to'] as const) {
      const r = resolvePeer(env.workloads, b[side]);
      if (typeof r === 'string' && r !== 'namespace' && r !== 'cidr') yield { path: `blocked[${i}].${side}`, message: r };
    }
  }
}

function* checkFlow(known: readonly WorkloadRef[], f: Flow, path: string): Generator<Problem> {
  const from = resolvePeer(known, f.from);
  if (typeof from === 'string' && from !== 'namespace' && from !== 'cidr') yield { path: `${path}.from`, message: from };
  const to = resolvePeer(known, f.to);
  if (typeof to === 'string' && to !== 'namespace' && to !== 'cidr') yield { path: `${path}.to`, message: to };
  if (from === 'cidr' && to === 'cidr') yield { path, message: 'a flow needs a workload or namespace at one end at least' };
  if (typeof f.port === 'string') {
    if (typeof to !== 'object') {
      yield { path: `${path}.port`, message: `named port ${show(f.port)} needs a workload destination; use a number` };
    } else if (!to.ports[f.port]) {
      const names = Object.keys(to.ports);
      yield {
        path: `${path}.port`,
        message: `${show(f.to)} has no port named ${show(f.port)}${names.length ? ` (it has ${names.map(show).join(', ')})` : ''}`,
      };
    }
    if (f.endPort !== undefined) yield { path: `${path}.endPort`, message: 'endPort needs a numeric port' };
  } else if (f.endPort !== undefined && f.endPort < f.port) {
    yield { path: `${path}.endPort`, message: `${f.endPort} is below port ${f.port}` };
  }
  if (typeof f.from !== 'string' || typeof f.to !== 'string') {
    const block = typeof f.from !== 'string' ? f.from : (f.to as Exclude<Peer, string>);
    const outer = parseCidr(block.cidr)!;
    const bad = block.except.findIndex((e) => !contains(outer, parseCidr(e)!));
    const side = typeof f.from !== 'string' ? 'from' : 'to';
    if (bad >= 0) yield { path: `${path}.${side}.except[${bad}]`, message: `${show(block.except[bad])} is not inside ${show(block.cidr)}` };
  }
}

function* checkIdentity(env: Environment): Generator<Problem> {
  const dup = duplicate(env.groups, (g) => g);
  if (dup >= 0) yield { path: `groups[${dup}]`, message: `${show(env.groups[dup])} is declared twice` };
  const groups = new Set(env.groups);
  for (const [i, row] of env.access.entries()) {
    if (!groups.has(row.group)) yield { path: `access[${i}].group`, message: `group ${show(row.group)} is not declared in groups` };
    for (const [j, r] of row.resources.entries()) {
      if (!env.apps[r]) yield { path: `access[${i}].resources[${j}]`, message: `unknown app ${show(r)}` };
    }
  }
  const rowDup = duplicate(env.access, (r) => r.group);
  if (rowDup >= 0) yield { path: `access[${rowDup}].group`, message: `group ${show(env.access[rowDup]!.group)} has two access rows; merge them` };
}
