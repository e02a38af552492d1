/**
 * The environment model: everything a user changes day to day, as typed data validated when
 * loaded. Charts (and the infra program) only read an {@link Environment}; they never re-check
 * what this schema guarantees.
 */
import { z } from 'zod';
import { awsStatement, checkAwsStatements } from './aws-access';
import { contains, formatIpv4, isCidr, overlaps, parseCidr } from './cidr';
import { POD_IDENTITY_AGENT } from './cluster';
import type { Component, SettingsBlock, WorkloadRef } from './component';
import { infraSchema } from './environment-infra';
import { checkMtlsFlows } from './workload-identity';

// ---------------------------------------------------------------------------------------------
// Scalars

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1035 label: what Kubernetes requires of Service names (app names become Service names). */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** IANA service name, the rule Kubernetes applies to container port names. */
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

const show = (value: unknown) => JSON.stringify(value);
/** A quoted, shortened rendering of user text for messages (one line whatever it holds). */
const quote = (s: string) => show(s.length > 60 ? `${s.slice(0, 60)}...` : s);

/**
 * Line breaks (including U+2028/U+2029), other control characters and bidirectional overrides:
 * free text is written into Markdown tables (ACCESS.md) and YAML, where one of them could end
 * a table row, start a heading or make a reviewer read something else than what is there.
 */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;

/** One line of text for people (a description, a reason): no line breaks or control characters. */
export const oneLine = z.string().refine((s) => !CONTROL.test(s), {
  error: (i) => `${quote(String(i.input))} is not one line of text (no line breaks or control characters)`,
});

const dnsLabel = z.string().refine((s) => s.length <= 63 && DNS_LABEL.test(s), {
  error: (i) => `${show(i.input)} is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
});

/** App names become Deployment, Service and container names: a Service name is an RFC 1035 label. */
const appName = z.string().refine((s) => s.length <= 63 && DNS_1035_LABEL.test(s), {
  error: (i) => `${show(i.input)} is not a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)`,
});

const port = z.number().refine((n) => Number.isInteger(n) && n >= 1 && n <= 65535, { error: (i) => `${show(i.input)} is not a port number (1-65535)` });

const portName = z.string().refine((s) => s.length <= 15 && PORT_NAME.test(s), {
  error: (i) => `${show(i.input)} is not a port name (at most 15 lowercase letters, digits and "-", with a letter)`,
});

/** `a.b.c.d/n` of a parsed block. */
const formatCidr = (r: { start: number; end: number }) => `${formatIpv4(r.start)}/${32 - Math.log2(r.end - r.start + 1)}`;

/**
 * An IPv4 CIDR in canonical form only: no host bits, no leading zeros (`010.0.0.0/8` is octal
 * 8.0.0.0 to some tools and decimal 10.0.0.0 to others), a prefix length without leading zeros.
 */
const cidr = z.string().superRefine((s, ctx) => {
  if (isCidr(s) && formatCidr(parseCidr(s)!) === s) return;
  const loose = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  const canonical = loose && `${loose.slice(1, 5).map(Number).join('.')}/${Number(loose[5])}`;
  if (canonical && canonical !== s && isCidr(canonical)) {
    ctx.addIssue({ code: 'custom', message: `${show(s)} is not written canonically (leading zeros); write ${show(canonical)}` });
  } else {
    ctx.addIssue({ code: 'custom', message: `${show(s)} is not an IPv4 CIDR` });
  }
});

const quantity = z.string().refine((s) => QUANTITY.test(s), { error: (i) => `${show(i.input)} is not a Kubernetes quantity` });

/** Tags that move by design: channel names and bare majors (`1`, `v1`) point at a new image on every release. */
const FLOATING_TAGS = new Set(['latest', 'stable', 'main', 'master', 'edge', 'nightly', 'dev', 'develop']);

/** Whether an image tag floats (a channel name, a bare major such as `1` or `v1`, or no tag at all). */
export function isFloatingTag(tag: string | undefined): boolean {
  return tag === undefined || tag === '' || FLOATING_TAGS.has(tag.toLowerCase()) || /^v?\d+$/.test(tag);
}

/** An image reference with a pinned tag or digest; floating tags (`latest`, `stable`, `1`, ...) and tag-less references are rejected. */
const pinnedImage = z.string().superRefine((s, ctx) => {
  if (!IMAGE.test(s)) {
    ctx.addIssue({ code: 'custom', message: `${show(s)} is not an image reference` });
    return;
  }
  const lastSegment = s.split('/').pop()!;
  const tag = lastSegment.includes(':') ? lastSegment.split(':')[1]!.split('@')[0] : undefined;
  const digest = s.includes('@sha256:');
  if (!digest && isFloatingTag(tag)) {
    const why = tag === undefined ? 'no tag' : `the tag ${show(tag)} floats`;
    ctx.addIssue({ code: 'custom', message: `${show(s)} is not pinned (${why}: use an explicit version tag or a digest)` });
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
  /**
   * AWS access the app needs (lib/aws-access.ts): infra creates one IAM role with exactly these
   * actions on exactly these ARNs, bound to the app's ServiceAccount by EKS Pod Identity. @default []
   */
  aws: z.array(awsStatement).default([]),
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
  /** Why this flow exists, in one line. */
  description: oneLine.optional(),
});

const blocked = z.strictObject({
  from: peer,
  to: peer,
  /** Why this path must stay closed, in one line; shown in ACCESS.md. */
  reason: oneLine.optional(),
});

// ---------------------------------------------------------------------------------------------
// Identity

/** A Twingate group name: one line (it is written into ACCESS.md and YAML), trimmed, 1-128 characters. */
const groupName = z.string().superRefine((s, ctx) => {
  if (CONTROL.test(s)) ctx.addIssue({ code: 'custom', message: `${quote(s)} is not a group name (one line: no line breaks or control characters)` });
  else if (s.trim() !== s || s.length === 0 || s.length > 128) ctx.addIssue({ code: 'custom', message: `${show(s)} is not a group name` });
  // Kubernetes reserves `system:` groups (system:masters is cluster-admin, unremovably): the
  // gateway may impersonate every group with a role, so such a name must never get one.
  else if (s.toLowerCase().startsWith('system:'))
    ctx.addIssue({ code: 'custom', message: `${show(s)} is a Kubernetes system group name (system:...); choose another group name` });
});

/** Roles an access row grants in the namespaces of the apps it names (RoleBindings to these ClusterRoles). */
export const KUBERNETES_ROLES = ['view', 'edit', 'admin'] as const;
/** Cluster-wide roles (ClusterRoleBindings); `cluster-admin` only for the environment's `breakGlassGroup`. */
export const CLUSTER_ROLES = ['view', 'cluster-admin'] as const;

const access = z.strictObject({
  /** A group declared in `groups`. */
  group: groupName,
  /** Apps this group may reach through Twingate. */
  resources: z.array(dnsLabel).default([]),
  /**
   * Role the group gets through the access gateway in the namespaces of the apps in
   * `resources` (one RoleBinding per namespace), never cluster-wide; none when absent.
   * `edit`/`admin` are refused for apps in a platform component's namespace.
   */
  kubernetesRole: z.enum(KUBERNETES_ROLES).optional(),
  /**
   * Cluster-wide role (a ClusterRoleBinding), flagged in ACCESS.md: `view`, or `cluster-admin`
   * for the environment's `breakGlassGroup` only. None when absent.
   */
  clusterRole: z.enum(CLUSTER_ROLES).optional(),
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
  /**
   * Namespaces the platform owns: each gets Pod Security "restricted" and default deny. The
   * namespaces of enabled platform components join them without being listed.
   */
  namespaces: z.array(dnsLabel).min(1),
  apps: z.record(appName, app).default({}),
  /** Allowed connections; rendered as NetworkPolicy allows. Nothing else is allowed. */
  flows: z.array(flow).default([]),
  /** Paths that must stay closed. */
  blocked: z.array(blocked).default([]),
  /** Identity-provider (Twingate) group names used by `access`. */
  groups: z.array(groupName).default([]),
  access: z.array(access).default([]),
  /** The one group whose access row may carry `clusterRole: "cluster-admin"` (break-glass); declared in `groups`. */
  breakGlassGroup: groupName.optional(),
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
export interface Environment extends Omit<Parsed, 'charts' | 'flows' | 'components' | 'namespaces'> {
  /**
   * Namespaces the platform owns: the declared ones, then the namespaces of enabled platform
   * components not declared (sorted). Each gets its Namespace with Pod Security labels, default
   * deny and the admission policies.
   */
  readonly namespaces: readonly string[];
  /** Namespaces of the enabled platform components (those with a `namespace`), sorted: the access table grants at most `view` there. */
  readonly platformNamespaces: readonly string[];
  /**
   * For each enabled platform component, the namespaces of the enabled components that require it
   * (sorted): e.g. who may use the secret store of `external-secrets`, so access follows `requires`.
   */
  readonly namespacesRequiring: Readonly<Record<string, readonly string[]>>;
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

/** A zod issue in the words of every environment error (also used by multi-cluster files, lib/clusters.ts). */
export function zodProblem(issue: z.core.$ZodIssue): Problem {
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
  const result = validateUnlabelled(input, catalogue);
  return 'problem' in result ? { problem: labelled(result.problem, input) } : result;
}

function validateUnlabelled(input: unknown, catalogue: readonly Component[]): { env: Environment } | { problem: Problem } {
  const parsed = environmentSchema(catalogue).safeParse(input, { reportInput: true });
  if (!parsed.success) return { problem: zodProblem(parsed.error.issues[0]!) };
  const data = parsed.data as Parsed & Record<string, unknown>;
  const base: Environment = { ...data, flows: [], components: [], charts: {}, workloads: [], settings: {}, platformNamespaces: [], namespacesRequiring: {} };

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
  const platformWorkloads = components.flatMap((c) => (c.workloads?.(env) ?? []).map((workload) => ({ workload, component: c.name })));
  const shadowing = checkAppWorkloads(appWorkloads, platformWorkloads);
  if (shadowing) return { problem: shadowing };
  env = { ...env, workloads: [...appWorkloads, ...platformWorkloads.map((p) => p.workload)] };

  const [general] = checkShape(env);
  if (general) return { problem: general };
  const platform = platformNamespaces(env, components);
  const [platformAccess] = checkPlatformAccess(env, platform);
  if (platformAccess) return { problem: platformAccess };
  // A component's settings are checked before the flows that may name its pods.
  for (const block of settingsBlocks(catalogue)) {
    if (settings[block.key] === undefined) continue;
    const problem = [...(block.check?.(env) ?? [])][0];
    if (problem) return { problem };
  }
  const reserved = platform.find(isSystemNamespace);
  // A component installing into a system namespace is a bug in the component: the platform never owns those.
  if (reserved) throw new Error(`internal: a platform component installs into system namespace ${reserved}`);
  // Owned from here on (after the blocks' checks, which may require a namespace to be declared): the components' namespaces join the declared ones (Namespace objects, default deny, admission policies).
  env = {
    ...env,
    namespaces: [...env.namespaces, ...platform.filter((n) => !env.namespaces.includes(n))],
    platformNamespaces: platform,
    namespacesRequiring: namespacesRequiring(env, components),
  };
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
  const key = (f: Flow) => JSON.stringify([f.from, f.to, f.port, f.endPort, f.protocol]);
  const dup = duplicate(flows, key);
  if (dup >= 0) {
    const f = flows[dup]!;
    if (!f.origin) return { problem: { path: `flows[${dup}]`, message: 'duplicates an earlier flow' } };
    // The second copy is the component's (they come after the declared flows): name the declared one.
    const declaredAt = data.flows.findIndex((d) => key(d) === key(f));
    // Two equal flows of components (not one the environment declares) are a bug in a component.
    if (declaredAt < 0) throw new Error(`internal: component ${f.origin} declares the flow ${describeFlow(f)} twice (or another component does)`);
    return { problem: { path: `flows[${declaredAt}]`, message: `duplicates a flow of component ${f.origin}; remove it` } };
  }
  const tooLong = [...checkFlowNames(env, flows.slice(0, data.flows.length))][0];
  if (tooLong) return { problem: tooLong };

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
  yield* checkApps(env);
}

/** Checks of references between fields: flows and blocked paths to workloads and ports, access rows to groups and apps. */
function* checkReferences(env: Environment, flows: readonly Flow[]): Generator<Problem> {
  yield* checkFlows(env, flows);
  yield* checkIdentity(env);
  yield* checkAwsAccess(env, flows);
  yield* checkMtlsFlows(env, flows);
}

/**
 * Each app's AWS declarations (lib/aws-access.ts), and the flow its pods need to fetch the role's
 * credentials from the EKS Pod Identity agent: without it, default deny leaves the app without AWS.
 */
function* checkAwsAccess(env: Environment, flows: readonly Flow[]): Generator<Problem> {
  for (const [name, a] of Object.entries(env.apps)) {
    for (const p of checkAwsStatements(a.aws, env.aws.region)) yield { path: `apps.${name}.${p.path}`, message: p.message };
    if (a.aws.length === 0) continue;
    const self = `${a.namespace}/${name}`;
    const agent = flows.some(
      (f) =>
        f.from === self &&
        typeof f.to !== 'string' &&
        contains(parseCidr(f.to.cidr)!, parseCidr(POD_IDENTITY_AGENT.cidr)!) &&
        f.to.except.every((e) => !overlaps(parseCidr(e)!, parseCidr(POD_IDENTITY_AGENT.cidr)!)) &&
        f.port === POD_IDENTITY_AGENT.port &&
        (f.protocol ?? 'TCP') === 'TCP',
    );
    if (!agent) {
      yield {
        path: `apps.${name}.aws`,
        message: `the app gets its AWS role from the EKS Pod Identity agent: declare the flow { from: ${show(self)}, to: { cidr: ${show(POD_IDENTITY_AGENT.cidr)} }, port: ${POD_IDENTITY_AGENT.port} }`,
      };
    }
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

/** Namespaces Kubernetes itself owns. */
const isSystemNamespace = (n: string) => n === 'kube-system' || n === 'kube-public' || n === 'default' || n.startsWith('kube-');

function* checkNamespaces(env: Environment): Generator<Problem> {
  const dup = duplicate(env.namespaces, (n) => n);
  if (dup >= 0) yield { path: `namespaces[${dup}]`, message: `${show(env.namespaces[dup])} is declared twice` };
  const reserved = env.namespaces.findIndex(isSystemNamespace);
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
    if (typeof to === 'object' && to.ports[f.port] && f.protocol !== undefined && f.protocol !== to.ports[f.port]!.protocol) {
      yield {
        path: `${path}.protocol`,
        message: `${show(f.protocol)} contradicts port ${show(f.port)} of ${show(f.to)}, which is ${to.ports[f.port]!.protocol}; leave protocol out (a named port carries its own)`,
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
  if (env.breakGlassGroup !== undefined && !groups.has(env.breakGlassGroup))
    yield { path: 'breakGlassGroup', message: `group ${show(env.breakGlassGroup)} is not declared in groups` };
  const bootstrapGroup = env.infra?.bootstrap.twingateGroup;
  if (bootstrapGroup !== undefined && !groups.has(bootstrapGroup))
    yield { path: 'infra.bootstrap.twingateGroup', message: `group ${show(bootstrapGroup)} is not declared in groups` };
  for (const [i, row] of env.access.entries()) {
    if (row.kubernetesRole && row.resources.length === 0) {
      yield {
        path: `access[${i}].kubernetesRole`,
        message: 'applies in the namespaces of the apps in resources, and there are none; name apps, or use clusterRole: "view" for cluster-wide read-only',
      };
    }
    if (row.clusterRole === 'cluster-admin' && row.group !== env.breakGlassGroup) {
      yield { path: `access[${i}].clusterRole`, message: `"cluster-admin" is only for the break-glass group (breakGlassGroup); ${show(row.group)} is not it` };
    }
  }
}

/**
 * Namespaces of the enabled platform components (twingate, ...): the access table never grants
 * `edit` or `admin` there (both read Secrets and run pods as any ServiceAccount of the namespace).
 */
export function platformNamespaces(env: Environment, components: readonly Component[]): string[] {
  return [...new Set(components.flatMap((c) => (c.namespace ? [c.namespace(env)] : [])))].sort();
}

/** For each component, the namespaces of the components that require it. */
function namespacesRequiring(env: Environment, components: readonly Component[]): Record<string, string[]> {
  return Object.fromEntries(
    components.map((p) => [p.name, [...new Set(components.filter((c) => c.requires?.includes(p.name) && c.namespace).map((c) => c.namespace!(env)))].sort()]),
  );
}

function* checkPlatformAccess(env: Environment, platform: readonly string[]): Generator<Problem> {
  for (const [i, row] of env.access.entries()) {
    if (row.kubernetesRole !== 'edit' && row.kubernetesRole !== 'admin') continue;
    for (const [j, app] of row.resources.entries()) {
      const ns = env.apps[app]?.namespace;
      if (ns && platform.includes(ns)) {
        yield {
          path: `access[${i}].resources[${j}]`,
          message: `app ${show(app)} is in platform namespace ${show(ns)}, where the access table grants at most "view", not ${show(row.kubernetesRole)}`,
        };
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Problems about a flow or a blocked path name it: spreads of shared lists make indices invisible.

/** A peer as written, for messages; whatever was written, on one line. */
function rawPeer(p: unknown): string {
  if (typeof p === 'string') return /^[\x21-\x7e]{1,130}$/.test(p) ? p : quote(p);
  if (p && typeof p === 'object' && typeof (p as { cidr?: unknown }).cidr === 'string') {
    const { cidr: block, except } = p as { cidr: string; except?: unknown };
    const list = Array.isArray(except) ? except.filter((e): e is string => typeof e === 'string') : [];
    return `${rawPeer(block)}${list.length ? ` except ${list.map(rawPeer).join(',')}` : ''}`;
  }
  return '?';
}

/** `from -> to : port` of a flow (`from -> to` of a blocked path) as written in the input, or undefined when it is not an object. */
function rawSubject(item: unknown, kind: 'flows' | 'blocked'): string | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const { from, to, port, endPort } = item as Record<string, unknown>;
  const ends = `${rawPeer(from)} -> ${rawPeer(to)}`;
  if (kind === 'blocked') return ends;
  const first = typeof port === 'number' || typeof port === 'string' ? rawPeer(String(port)) : '?';
  return `${ends} : ${first}${typeof endPort === 'number' ? `-${endPort}` : ''}`;
}

/** `flows[3].to` becomes `flows[3] (a/b -> c/d : http).to`; other paths are unchanged. */
function labelled(problem: Problem, input: unknown): Problem {
  const m = /^(flows|blocked)\[(\d+)\]/.exec(problem.path);
  if (!m) return problem;
  const list = (input as Record<string, unknown> | null)?.[m[1]!];
  const subject = Array.isArray(list) ? rawSubject(list[Number(m[2])], m[1] as 'flows' | 'blocked') : undefined;
  return subject ? { ...problem, path: `${m[0]} (${subject})${problem.path.slice(m[0].length)}` } : problem;
}

// ---------------------------------------------------------------------------------------------
// Apps: what the cluster would reject or a reviewer would never want

/** An app must not be, or select the pods of, a workload an enabled platform component runs in its namespace. */
function checkAppWorkloads(apps: readonly WorkloadRef[], platform: readonly { workload: WorkloadRef; component: string }[]): Problem | undefined {
  const within = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => Object.entries(a).every(([k, v]) => b[k] === v);
  for (const app of apps) {
    for (const { workload: w, component } of platform) {
      if (w.namespace !== app.namespace) continue;
      const ref = `${w.namespace}/${w.name}`;
      if (w.name === app.name) {
        return { path: `apps.${app.name}`, message: `${show(ref)} is a workload of component ${component}; choose another app name` };
      }
      // Policies select pods by labels: overlapping selectors would open one workload's flows to the other.
      if (within(app.labels, w.labels) || within(w.labels, app.labels)) {
        return {
          path: `apps.${app.name}`,
          message: `its pods' labels would select the pods of ${show(ref)} (component ${component}); choose another app name`,
        };
      }
    }
  }
  return undefined;
}

const QUANTITY_SCALE: Readonly<Record<string, readonly [bigint, bigint]>> = {
  '': [1n, 1n],
  m: [1n, 1000n],
  k: [10n ** 3n, 1n],
  M: [10n ** 6n, 1n],
  G: [10n ** 9n, 1n],
  T: [10n ** 12n, 1n],
  Ki: [2n ** 10n, 1n],
  Mi: [2n ** 20n, 1n],
  Gi: [2n ** 30n, 1n],
  Ti: [2n ** 40n, 1n],
};

/** A quantity as an exact fraction: `1.5Gi`, `1536Mi` and `1610612736` are equal, `500m` is half of `1`. */
function quantityValue(q: string): { num: bigint; den: bigint } {
  const [, whole, fraction = '', suffix = ''] = /^(\d+)(?:\.(\d+))?([A-Za-z]*)$/.exec(q)!;
  const [mul, div] = QUANTITY_SCALE[suffix]!;
  return { num: BigInt(whole! + fraction) * mul, den: 10n ** BigInt(fraction.length) * div };
}

/** Negative when `a < b`, 0 when equal, positive when `a > b`. */
function compareQuantities(a: string, b: string): number {
  const x = quantityValue(a);
  const y = quantityValue(b);
  const d = x.num * y.den - y.num * x.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Variable names that say their value is a secret. */
const SECRET_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIALS?)$/i;
const PUBLIC_NAME = /(^|_)PUBLIC_KEY$/i;

/** What a value that is a key looks like, whatever its name; `undefined` for an ordinary value. */
function secretLooking(value: string): string | undefined {
  if (value.includes('-----BEGIN')) return 'a PEM block';
  if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(value)) return 'an AWS access key id';
  if (/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value)) return 'a URL with a password';
  if (/[0-9a-f]{32,}/i.test(value)) return 'a long hexadecimal string';
  for (const run of value.match(/[A-Za-z0-9+/]{40,}={0,2}/g) ?? []) {
    if (/[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run)) return 'a long base64 string';
  }
  return undefined;
}

function* checkApps(env: Environment): Generator<Problem> {
  for (const [name, a] of Object.entries(env.apps)) {
    for (const resource of ['cpu', 'memory'] as const) {
      const request = a.resources.requests[resource];
      const limit = a.resources.limits[resource];
      if (compareQuantities(request, limit) > 0) {
        yield { path: `apps.${name}.resources.requests.${resource}`, message: `${show(request)} is above the limit ${show(limit)}` };
      }
    }
    for (const [variable, value] of Object.entries(a.env)) {
      // Never echo the value: the message lands in CI logs.
      const path = `apps.${name}.env.${variable}`;
      const looks = secretLooking(value);
      if (looks) {
        yield { path, message: `the value looks like ${looks}; env holds plain settings, never secrets (deliver secrets through External Secrets)` };
      } else if (value !== '' && SECRET_NAME.test(variable) && !PUBLIC_NAME.test(variable)) {
        yield {
          path,
          message:
            'a literal value under a secret-looking name; env holds plain settings, never secrets (deliver secrets through External Secrets, or rename the variable)',
        };
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Names built from a flow

/** Longest file name most file systems take (bytes; names are ASCII here). */
const FILE_NAME_MAX = 255;
/** Room for the `-2`, `-3`, ... network-policy appends to policies that differ only in `except`. */
const SUFFIX_ROOM = 3;

function endpointSlug(e: Endpoint): string {
  return e.kind === 'workload' ? `${e.workload.namespace}-${e.workload.name}` : e.kind === 'namespace' ? `${e.namespace}-all` : e.cidr.replace('/', '-');
}

/**
 * The network-policy component writes one NetworkPolicy per restricted side of a flow, named
 * `allow-<ingress|egress>-<this end>-<from|to>-<other end>-<protocol>-<port>[-<endPort>]` in that
 * side's namespace, to `networkpolicy.<namespace>.<name>.yaml` (tests/platform/network-policy.test.ts
 * checks this mirror against the component). The file name is the longer of the two limits
 * (a Kubernetes name takes 253), so it is the one checked.
 */
function* checkFlowNames(env: Environment, flows: readonly ResolvedFlow[]): Generator<Problem> {
  const owned = new Set(env.namespaces);
  const nsOf = (e: Endpoint) => (e.kind === 'workload' ? e.workload.namespace : e.kind === 'namespace' ? e.namespace : undefined);
  for (const [i, f] of flows.entries()) {
    const ports = `${f.ports.protocol.toLowerCase()}-${f.ports.port}${f.ports.endPort !== undefined ? `-${f.ports.endPort}` : ''}`;
    const sides = [
      { ns: nsOf(f.source), name: `allow-egress-${endpointSlug(f.source)}-to-${endpointSlug(f.destination)}-${ports}` },
      { ns: nsOf(f.destination), name: `allow-ingress-${endpointSlug(f.destination)}-from-${endpointSlug(f.source)}-${ports}` },
    ];
    for (const { ns, name } of sides) {
      if (ns === undefined || !owned.has(ns)) continue;
      const length = `networkpolicy.${ns}.${name}.yaml`.length;
      if (length > FILE_NAME_MAX - SUFFIX_ROOM) {
        yield {
          path: `flows[${i}]`,
          message: `names too long: its NetworkPolicy file name would have ${length} characters (at most ${FILE_NAME_MAX - SUFFIX_ROOM}); shorten the namespace or app names`,
        };
        break;
      }
    }
  }
}
