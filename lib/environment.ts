/**
 * The environment model: everything a user changes day to day, as typed data validated when
 * loaded. Charts (and the infra program) only read an {@link Environment}; they never re-check
 * what this schema guarantees.
 */
import { z } from 'zod';
import { contains, isCidr, overlaps, parseCidr } from './cidr';
import { infraSchema } from './environment-infra';
import { checkTwingate, twingateSchema, twingateWorkloads } from './environment-twingate';

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

export const dnsLabel = z
  .string()
  .refine((s) => s.length <= 63 && DNS_LABEL.test(s), {
    error: (i) => `${show(i.input)} is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
  });

const port = z
  .number()
  .refine((n) => Number.isInteger(n) && n >= 1 && n <= 65535, { error: (i) => `${show(i.input)} is not a port number (1-65535)` });

const portName = z
  .string()
  .refine((s) => s.length <= 15 && PORT_NAME.test(s), {
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
export type PeerInput = z.infer<typeof peer>;

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
// Identity and components

const groupName = z
  .string()
  .refine((s) => s.trim() === s && s.length > 0 && s.length <= 128, { error: (i) => `${show(i.input)} is not a group name` });

export const KUBERNETES_ROLES = ['view', 'edit', 'admin', 'cluster-admin'] as const;

const access = z.strictObject({
  /** A group declared in `groups`. */
  group: groupName,
  /** Apps this group may reach through Twingate. */
  resources: z.array(dnsLabel).default([]),
  /** ClusterRole the group gets on this cluster through the access gateway; none when absent. */
  kubernetesRole: z.enum(KUBERNETES_ROLES).optional(),
});

/** Platform components an environment can switch on (apps are components of their own). */
export const PLATFORM_COMPONENTS = ['network-policy', 'twingate-operator', 'twingate-access-gateway', 'twingate-connector'] as const;
export type PlatformComponentName = (typeof PLATFORM_COMPONENTS)[number];

/** Upstream Helm charts and their default pinned versions. */
export const CHART_DEFAULTS = {
  'twingate-operator': '2.0.0',
  gateway: '1.0.0',
  connector: '0.1.35',
} as const;
export type ChartName = keyof typeof CHART_DEFAULTS;

// ---------------------------------------------------------------------------------------------
// The environment

export const environmentSchema = z.strictObject({
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
  /** Twingate tenant, connectors, gateway and secrets (see `./environment-twingate`). */
  twingate: twingateSchema.optional(),
  /** Cloud settings only the Pulumi program reads (`infra/`); see environment-infra.ts. */
  infra: infraSchema.optional(),
  /** Platform components switched on. @default ["network-policy"] */
  components: z.array(z.enum(PLATFORM_COMPONENTS)).default(['network-policy']),
  /** Pinned upstream chart versions, overriding {@link CHART_DEFAULTS}. */
  charts: z
    .partialRecord(
      z.enum(Object.keys(CHART_DEFAULTS) as [ChartName, ...ChartName[]]),
      z.string().refine((s) => SEMVER.test(s), { error: (i) => `${show(i.input)} is not a pinned chart version (x.y.z)` }),
    )
    .default({}),
});

/** What an environment file passes to {@link defineEnvironment}. */
export type EnvironmentInput = z.input<typeof environmentSchema>;
type Parsed = z.output<typeof environmentSchema>;
export type AppSpec = Parsed['apps'][string];
export type Flow = Parsed['flows'][number];
export type Blocked = Parsed['blocked'][number];
export type Peer = Flow['from'];
export type AccessRow = Parsed['access'][number];

/** A validated environment, with defaults filled in. */
export interface Environment extends Omit<Parsed, 'charts'> {
  /** Every chart with its pinned version (defaults merged). */
  readonly charts: Record<ChartName, string>;
}

/** Identity function that gives environment files type checking and completion. */
export function defineEnvironment(input: EnvironmentInput): EnvironmentInput {
  return input;
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

/**
 * Validates one environment: the schema first, then cross-references. Returns the first
 * problem (users fix one line at a time) or the environment with defaults filled in.
 */
export function validateEnvironment(input: unknown): { env: Environment } | { problem: Problem } {
  const parsed = environmentSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return { problem: zodProblem(parsed.error.issues[0]!) };
  const env: Environment = { ...parsed.data, charts: { ...CHART_DEFAULTS, ...parsed.data.charts } };
  const problem = crossCheck(env);
  return problem ? { problem } : { env };
}

/** A workload flows can name: apps, plus platform workloads of enabled components. */
export interface WorkloadRef {
  readonly namespace: string;
  readonly name: string;
  /** Labels that select the workload's pods (within its namespace). */
  readonly labels: Readonly<Record<string, string>>;
  /** Named ports the workload listens on. */
  readonly ports: Readonly<Record<string, { containerPort: number; protocol: Protocol }>>;
}

/** The label every workload's pods carry and every policy selects on. */
export const NAME_LABEL = 'app.kubernetes.io/name';

/**
 * Pod labels of the Twingate connector, whichever way it is deployed: operator-managed
 * connectors get them through `TwingateConnector.spec.podLabels`, chart connectors through the
 * chart's `nameOverride` (its pods carry `app.kubernetes.io/name: <nameOverride>`).
 */
export const CONNECTOR_LABELS = { [NAME_LABEL]: 'twingate-connector' } as const;

/**
 * Platform workloads known from the environment's own settings. The Twingate connector,
 * operator and access gateway are known as soon as `twingate` is configured: their flows are
 * part of the environment's network intent whichever component renders their pods.
 */
export function platformWorkloads(env: Pick<Environment, 'twingate'>): WorkloadRef[] {
  if (!env.twingate) return [];
  const { namespace } = env.twingate;
  return [{ namespace, name: 'connector', labels: CONNECTOR_LABELS, ports: {} }, ...twingateWorkloads(namespace)];
}

export function workloads(env: Pick<Environment, 'apps' | 'twingate'>): WorkloadRef[] {
  const apps = Object.entries(env.apps).map(([name, a]) => ({
    namespace: a.namespace,
    name,
    labels: { [NAME_LABEL]: name },
    ports: Object.fromEntries(Object.entries(a.ports).map(([n, p]) => [n, { containerPort: p.containerPort, protocol: p.protocol }])),
  }));
  return [...apps, ...platformWorkloads(env)];
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

function crossCheck(env: Environment): Problem | undefined {
  const problems = [...checkNetwork(env), ...checkNamespaces(env), ...checkFlows(env), ...checkIdentity(env), ...checkTwingate(env), ...checkLayers(env)];
  return problems[0];
}

/**
 * Infra and charts must agree where one creates what the other reads: chart-mode connectors
 * read tokens that infra registers and stores, one secret per connector.
 */
function* checkLayers(env: Environment): Generator<Problem> {
  if (!env.infra || !env.twingate) return;
  const chart = env.twingate.connectors.filter((c) => c.mode === 'chart').length;
  if (env.infra.connectors.cluster !== chart) {
    yield {
      path: 'infra.connectors.cluster',
      message: `${env.infra.connectors.cluster} does not match the ${chart} chart-mode connector(s) in twingate.connectors (infra creates their tokens)`,
    };
  }
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
  if (reserved >= 0) yield { path: `namespaces[${reserved}]`, message: `${show(env.namespaces[reserved])} is a Kubernetes system namespace; the platform cannot own it` };
  const declared = new Set(env.namespaces);
  for (const [name, a] of Object.entries(env.apps)) {
    if (!declared.has(a.namespace)) {
      yield { path: `apps.${name}.namespace`, message: `namespace ${show(a.namespace)} is not declared in namespaces` };
    }
    const containerDup = duplicate(Object.values(a.ports), (p) => `${p.containerPort}/${p.protocol}`);
    if (containerDup >= 0) {
      yield { path: `apps.${name}.ports.${Object.keys(a.ports)[containerDup]}.containerPort`, message: `${Object.values(a.ports)[containerDup]!.containerPort} is used by two ports` };
    }
    const serviceDup = duplicate(Object.values(a.ports), (p) => `${p.servicePort ?? p.containerPort}/${p.protocol}`);
    if (serviceDup >= 0) {
      yield { path: `apps.${name}.ports.${Object.keys(a.ports)[serviceDup]}.servicePort`, message: `service port ${Object.values(a.ports)[serviceDup]!.servicePort ?? Object.values(a.ports)[serviceDup]!.containerPort} is used by two ports` };
    }
  }
  if (env.twingate && !declared.has(env.twingate.namespace)) {
    yield { path: 'twingate.namespace', message: `namespace ${show(env.twingate.namespace)} is not declared in namespaces` };
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

function* checkFlows(env: Environment): Generator<Problem> {
  const known = workloads(env);
  for (const [i, f] of env.flows.entries()) {
    const from = resolvePeer(known, f.from);
    if (typeof from === 'string' && from !== 'namespace' && from !== 'cidr') yield { path: `flows[${i}].from`, message: from };
    const to = resolvePeer(known, f.to);
    if (typeof to === 'string' && to !== 'namespace' && to !== 'cidr') yield { path: `flows[${i}].to`, message: to };
    if (from === 'cidr' && to === 'cidr') yield { path: `flows[${i}]`, message: 'a flow needs a workload or namespace at one end at least' };
    if (typeof f.port === 'string') {
      if (typeof to !== 'object') {
        yield { path: `flows[${i}].port`, message: `named port ${show(f.port)} needs a workload destination; use a number` };
      } else if (!to.ports[f.port]) {
        const names = Object.keys(to.ports);
        yield { path: `flows[${i}].port`, message: `${show(f.to)} has no port named ${show(f.port)}${names.length ? ` (it has ${names.map(show).join(', ')})` : ''}` };
      }
      if (f.endPort !== undefined) yield { path: `flows[${i}].endPort`, message: 'endPort needs a numeric port' };
    } else if (f.endPort !== undefined && f.endPort < f.port) {
      yield { path: `flows[${i}].endPort`, message: `${f.endPort} is below port ${f.port}` };
    }
    if (typeof f.from !== 'string' || typeof f.to !== 'string') {
      const block = typeof f.from !== 'string' ? f.from : (f.to as Exclude<Peer, string>);
      const outer = parseCidr(block.cidr)!;
      const bad = block.except.findIndex((e) => !contains(outer, parseCidr(e)!));
      const side = typeof f.from !== 'string' ? 'from' : 'to';
      if (bad >= 0) yield { path: `flows[${i}].${side}.except[${bad}]`, message: `${show(block.except[bad])} is not inside ${show(block.cidr)}` };
    }
  }
  const dup = duplicate(env.flows, (f) => JSON.stringify([f.from, f.to, f.port, f.endPort, f.protocol]));
  if (dup >= 0) yield { path: `flows[${dup}]`, message: 'duplicates an earlier flow' };
  for (const [i, b] of env.blocked.entries()) {
    for (const side of ['from', 'to'] as const) {
      const r = resolvePeer(known, b[side]);
      if (typeof r === 'string' && r !== 'namespace' && r !== 'cidr') yield { path: `blocked[${i}].${side}`, message: r };
    }
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
