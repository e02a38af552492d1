/**
 * Multi-cluster environments (issue 16): one environment file declaring two or more clusters that
 * reach each other through Amazon VPC Lattice, with overlapping VPC CIDRs if they like.
 *
 * The file is checked as a whole (clusters, the `lattice` block, the cross-cluster flows), then
 * expanded into one *deployment unit* per cluster, named `<env>-<cluster>`: an ordinary environment
 * (the shared fields plus the cluster's entry) validated by the registry like any other, rendered
 * to `dist/<env>-<cluster>/`, synced by its own Argo CD ApplicationSet and built by its own Pulumi
 * stack. Each unit carries what it needs of the whole, resolved: its `vpcLattice` view
 * (platform/vpc-lattice/settings.ts) and the local flows the cross-cluster flows imply (callers
 * out to the Lattice data plane on 443, backends in from it on their port), which the network
 * policies render and the intent check proves like every other flow. See docs/multi-cluster.md.
 */
import { z } from 'zod';
import { validate } from '../platform/registry';
import { type LatticeViewInput, latticeSettings, VPC_LATTICE_KEY } from '../platform/vpc-lattice/settings';
import { LATTICE_DATA_PLANE_CIDR } from './cluster';
import { type Environment, type FlowInput, oneLine, type Problem, zodProblem } from './environment';

export { LATTICE_DATA_PLANE_CIDR };

const show = (v: unknown) => JSON.stringify(v);
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const view = latticeSettings.schema.shape;
const label = view.cluster;

const SERVICE = /^([a-z0-9-]+):([a-z0-9-]+)\/([a-z0-9-]+)$/;
/** `<cluster>:<namespace>/<app>`: an app of one of the environment's clusters. */
const service = z.string().refine((s) => SERVICE.test(s), { error: (i) => `${show(i.input)} is not a service ("<cluster>:<namespace>/<app>")` });
/** A named port of the app, or one of its container ports. */
const portRef = z.union([z.number(), z.string()], { error: (i) => `${show(i.input)} is not a port name or number` });

const latticeBlock = z.strictObject({
  /** AWS account of the service network: the principal of every IAM auth policy. */
  accountId: view.accountId,
  /** The VPC Lattice service network every cluster's VPC is associated with (the Gateway's name). */
  serviceNetwork: view.serviceNetwork,
  /** Private custom domain (Route 53 private zone): route `<name>` answers at `<name>.<domain>`. */
  domain: view.domain,
  /** ACM certificate for `*.<domain>` (issued by the private CA), on every Gateway's HTTPS listener. */
  certificateArn: view.certificateArn,
  /**
   * PEM certificate of the private CA behind `certificateArn` (public; infra's shared stack outputs
   * it): the callers' SigV4 proxies trust it for the routes' TLS. Without it they trust only their
   * image's public bundle, which does not include a private CA (docs/sigv4.md).
   */
  caCertificate: view.caCertificate,
  /** Services offered to the service network, one port each. @default [] */
  exports: z.array(z.strictObject({ service, port: portRef })).default([]),
  /**
   * One route per exported service: hostname `<name>.<domain>`, an IAM auth policy allowing exactly
   * the cross-cluster flows to it. `cluster`: where its HTTPRoute lives. @default the backend's cluster
   */
  routes: z.array(z.strictObject({ name: label, backend: service, cluster: label.optional() })).default([]),
});

const crossClusterFlow = z.strictObject({
  from: service,
  to: service,
  /** A port of `to` that `lattice.exports` offers. */
  port: portRef,
  /** Why this call exists, in one line. */
  description: oneLine.optional(),
});

/** Fields only the environment as a whole has: never in a cluster's entry, never in a unit. */
const WHOLE = ['name', 'lattice', 'clusters', 'crossClusterFlows'] as const;

const multiClusterSchema = z.looseObject({
  name: label,
  lattice: latticeBlock,
  clusters: z.array(z.looseObject({ name: label })).min(2, { error: 'a multi-cluster environment declares at least two clusters' }),
  crossClusterFlows: z.array(crossClusterFlow).default([]),
});

export type LatticeInput = z.input<typeof latticeBlock>;
export type CrossClusterFlowInput = z.input<typeof crossClusterFlow>;

/** Whether an environment file's default export declares clusters (and so is a multi-cluster environment). */
export function isMultiCluster(value: object): boolean {
  return 'clusters' in value;
}

/** One deployment unit of a multi-cluster environment: an ordinary environment's input. */
export interface Unit {
  /** `<env>-<cluster>`. */
  readonly name: string;
  /** The cluster's short name in the environment file. */
  readonly cluster: string;
  /** Index of the cluster's entry in `clusters`. */
  readonly index: number;
  /** The input validated as an ordinary environment: shared fields, the cluster's fields, the derived `vpcLattice` view and flows. */
  readonly input: Record<string, unknown> & { readonly vpcLattice: LatticeViewInput; readonly flows: readonly FlowInput[] };
  /** How many of `input.flows` the user declared; the rest are derived from `crossClusterFlows`. */
  readonly declaredFlows: number;
  /** For each derived flow, the index of the first cross-cluster flow it stems from. */
  readonly derivedFrom: readonly number[];
}

/** A validated unit: the environment, and where it came from. */
export interface LoadedUnit {
  readonly unit: Unit;
  readonly env: Environment;
}

type Fail = { problem: Problem };
const fail = (path: string, message: string): Fail => ({ problem: { path, message } });
const defined = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** What a hand-written `vpcLattice` block is told. */
export const DERIVED_LATTICE = "is derived from a multi-cluster environment's lattice block and crossClusterFlows (docs/multi-cluster.md); remove it";

/** A service reference resolved against the validated clusters. */
interface Service {
  readonly ref: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly app: string;
}
/** An exported service and the port it offers. */
interface Export extends Service {
  readonly portName: string;
  readonly containerPort: number;
  readonly servicePort: number;
}
interface Route {
  readonly name: string;
  readonly hostname: string;
  readonly cluster: string;
  readonly backend: Export;
}
interface CrossFlow {
  readonly index: number;
  readonly from: Service;
  readonly to: Export;
  readonly route: Route;
  readonly description?: string;
}

/**
 * Checks a multi-cluster environment file's default export and expands it into its units, each
 * validated by the registry. The first problem, with the field path in the file (`clusters[1].apps.x`,
 * `lattice.routes[0].backend`, `crossClusterFlows[0].to`), or the units in `clusters` order.
 */
export function expandEnvironment(input: unknown): { units: LoadedUnit[] } | Fail {
  if (isRecord(input) && 'vpcLattice' in input) return fail('vpcLattice', DERIVED_LATTICE);
  const parsed = multiClusterSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return { problem: zodProblem(parsed.error.issues[0]!) };
  // A field written as `undefined` is no field (TypeScript allows it for optional ones).
  const data = { ...parsed.data, clusters: parsed.data.clusters.map(defined) };
  const shared = defined(Object.fromEntries(Object.entries(data).filter(([k]) => !(WHOLE as readonly string[]).includes(k))));

  // The clusters' entries: their own fields only, each cluster once.
  for (const [i, c] of data.clusters.entries()) {
    if ('vpcLattice' in c) return fail(`clusters[${i}].vpcLattice`, DERIVED_LATTICE);
    for (const key of Object.keys(c)) {
      if (key === 'name') continue;
      if ((WHOLE as readonly string[]).includes(key)) return fail(`clusters[${i}].${key}`, 'belongs to the environment as a whole, not to one cluster');
      if (key in shared) return fail(`clusters[${i}].${key}`, 'is also set for the whole environment; set it in one place');
    }
    const first = data.clusters.findIndex((o) => o.name === c.name);
    if (first < i) return fail(`clusters[${i}].name`, `${show(c.name)} is declared twice (clusters[${first}])`);
  }

  // Each cluster alone, as the ordinary environment it becomes: shapes, apps, flows, components.
  const plain: Environment[] = [];
  for (const [i, c] of data.clusters.entries()) {
    const result = validate(unitInput(data.name, shared, c));
    if ('problem' in result) return { problem: unitProblem(result.problem, i, c.name, shared, Number.POSITIVE_INFINITY, []) };
    plain.push(result.env);
  }
  for (const [i, env] of plain.entries()) {
    const first = plain.findIndex((o) => o.cluster.name === env.cluster.name);
    if (first < i) {
      const path = 'cluster' in data.clusters[i]! ? `clusters[${i}].cluster.name` : 'cluster.name';
      return fail(
        path,
        `${show(env.cluster.name)} is also the cluster name of clusters[${first}] (${data.clusters[first]!.name}); every cluster needs its own`,
      );
    }
  }

  const resolved = resolveLattice(data, plain);
  if ('problem' in resolved) return resolved;

  // Each cluster again, with its view of the service network and the flows the calls imply.
  const units: LoadedUnit[] = [];
  for (const [i, c] of data.clusters.entries()) {
    const base = unitInput(data.name, shared, c);
    const declared = (Array.isArray(base.flows) ? base.flows : []) as FlowInput[];
    const derived = derivedFlows(c.name, resolved.flows);
    const unit: Unit = {
      name: base.name as string,
      cluster: c.name,
      index: i,
      input: { ...base, flows: [...declared, ...derived.map((d) => d.flow)], [VPC_LATTICE_KEY]: viewOf(data, c.name, plain, resolved) },
      declaredFlows: declared.length,
      derivedFrom: derived.map((d) => d.from),
    };
    const result = validate(unit.input);
    if ('problem' in result) return { problem: unitProblem(result.problem, i, c.name, shared, declared.length, unit.derivedFrom) };
    units.push({ unit, env: result.env });
  }
  return { units };
}

/** Shared fields, then the cluster's own, named `<env>-<cluster>`. */
function unitInput(env: string, shared: Record<string, unknown>, c: Record<string, unknown> & { name: string }): Record<string, unknown> {
  const { name, ...own } = c;
  return { ...shared, ...own, name: `${env}-${name}` };
}

/**
 * A unit's problem at its place in the file: a cluster's own field under `clusters[i]`, a shared
 * field as is (naming the cluster it failed in), a derived flow as the cross-cluster flow it stems from.
 */
function unitProblem(p: Problem, i: number, cluster: string, shared: Record<string, unknown>, declaredFlows: number, derivedFrom: readonly number[]): Problem {
  const flow = /^flows\[(\d+)\](?: \([^)]*\))?/.exec(p.path);
  if (flow && Number(flow[1]) >= declaredFlows) {
    const k = Number(flow[1]) - declaredFlows;
    // The derived flow comes after the declared ones, so it is the one validation calls the duplicate.
    const message =
      p.message === 'duplicates an earlier flow'
        ? `cluster ${cluster} declares a flow it derives; remove the declared one`
        : `${p.message} (a flow derived in cluster ${cluster})`;
    return { path: `crossClusterFlows[${derivedFrom[k]}]${p.path.slice(flow[0].length)}`, message };
  }
  const key = /^[A-Za-z_$][\w$]*/.exec(p.path)?.[0];
  if (key === VPC_LATTICE_KEY) return { path: `lattice${p.path.slice(key.length)}`, message: `${p.message} (cluster ${cluster})` };
  if (key !== undefined && key !== 'name' && key in shared) return { path: p.path, message: `${p.message} (in cluster ${cluster})` };
  return { path: p.path ? `clusters[${i}]${key === undefined ? '' : '.'}${p.path}` : `clusters[${i}]`, message: p.message };
}

type Data = z.output<typeof multiClusterSchema>;

/** The exports, routes and cross-cluster flows, resolved against the clusters; or the first problem. */
function resolveLattice(data: Data, plain: readonly Environment[]): { exports: Export[]; routes: Route[]; flows: CrossFlow[] } | Fail {
  const names = data.clusters.map((c) => c.name);
  const envOf = (cluster: string) => plain[names.indexOf(cluster)]!;

  const serviceAt = (ref: string, path: string): Service | Fail => {
    const [, cluster, namespace, app] = SERVICE.exec(ref)!;
    if (!names.includes(cluster!)) return fail(path, `unknown cluster ${show(cluster)} in ${show(ref)} (clusters: ${names.join(', ')})`);
    const a = envOf(cluster!).apps[app!];
    if (!a) return fail(path, `cluster ${cluster} has no app ${show(app)}`);
    if (a.namespace !== namespace) return fail(path, `app ${show(app)} of cluster ${cluster} is in namespace ${show(a.namespace)}, not ${show(namespace)}`);
    return { ref, cluster: cluster!, namespace: namespace!, app: app! };
  };
  const portOf = (s: Service, port: string | number, path: string): Export | Fail => {
    const ports = envOf(s.cluster).apps[s.app]!.ports;
    const entry = Object.entries(ports).find(([n, p]) => (typeof port === 'string' ? n === port : p.containerPort === port));
    const has = Object.keys(ports).map(show).join(', ');
    if (!entry) return fail(path, `${show(s.ref)} has no port ${typeof port === 'string' ? 'named ' : ''}${show(port)} (it has ${has})`);
    const [portName, p] = entry;
    if (p.protocol !== 'TCP') return fail(path, `port ${show(portName)} of ${show(s.ref)} is ${p.protocol}; VPC Lattice carries HTTP over TCP`);
    return { ...s, portName, containerPort: p.containerPort, servicePort: p.servicePort ?? p.containerPort };
  };

  const exports: Export[] = [];
  for (const [i, e] of data.lattice.exports.entries()) {
    const s = serviceAt(e.service, `lattice.exports[${i}].service`);
    if ('problem' in s) return s;
    const x = portOf(s, e.port, `lattice.exports[${i}].port`);
    if ('problem' in x) return x;
    const twice = exports.findIndex((o) => o.ref === x.ref);
    if (twice >= 0) return fail(`lattice.exports[${i}].service`, `${show(x.ref)} is exported twice (lattice.exports[${twice}])`);
    exports.push(x);
  }

  const routes: Route[] = [];
  for (const [i, r] of data.lattice.routes.entries()) {
    const path = `lattice.routes[${i}]`;
    const twice = routes.findIndex((o) => o.name === r.name);
    if (twice >= 0) return fail(`${path}.name`, `${show(r.name)} is the name of lattice.routes[${twice}] too (hostnames are <name>.<domain>)`);
    const s = serviceAt(r.backend, `${path}.backend`);
    if ('problem' in s) return s;
    const backend = exports.find((x) => x.ref === s.ref);
    if (!backend) return fail(`${path}.backend`, `${show(s.ref)} is not exported (add it to lattice.exports)`);
    const other = routes.findIndex((o) => o.backend.ref === s.ref);
    if (other >= 0) return fail(`${path}.backend`, `${show(s.ref)} already has a route (lattice.routes[${other}])`);
    const cluster = r.cluster ?? s.cluster;
    if (!names.includes(cluster)) return fail(`${path}.cluster`, `unknown cluster ${show(cluster)} (clusters: ${names.join(', ')})`);
    if (!envOf(cluster).namespaces.includes(s.namespace)) {
      return fail(`${path}.cluster`, `namespace ${show(s.namespace)} is not declared in cluster ${cluster} (its HTTPRoute lives there)`);
    }
    routes.push({ name: r.name, hostname: `${r.name}.${data.lattice.domain}`, cluster, backend });
  }
  for (const [i, x] of exports.entries()) {
    if (!routes.some((r) => r.backend === x)) return fail(`lattice.exports[${i}]`, `${show(x.ref)} has no route (add one to lattice.routes)`);
  }

  const flows: CrossFlow[] = [];
  for (const [i, f] of data.crossClusterFlows.entries()) {
    const path = `crossClusterFlows[${i}]`;
    const from = serviceAt(f.from, `${path}.from`);
    if ('problem' in from) return from;
    const to = serviceAt(f.to, `${path}.to`);
    if ('problem' in to) return to;
    if (from.cluster === to.cluster) {
      return fail(path, `both ends are in cluster ${from.cluster}; declare it in clusters[${names.indexOf(from.cluster)}].flows`);
    }
    const exported = exports.find((x) => x.ref === to.ref);
    if (!exported) return fail(`${path}.to`, `${show(to.ref)} is not exported (add it to lattice.exports, with a route)`);
    const port = portOf(to, f.port, `${path}.port`);
    if ('problem' in port) return port;
    if (port.portName !== exported.portName) {
      return fail(`${path}.port`, `port ${show(port.portName)} of ${show(to.ref)} is not exported (lattice.exports offers ${show(exported.portName)})`);
    }
    const twice = flows.findIndex((o) => o.from.ref === from.ref && o.to.ref === to.ref);
    if (twice >= 0) return fail(path, `duplicates crossClusterFlows[${twice}]`);
    const route = routes.find((r) => r.backend === exported)!;
    flows.push({ index: i, from, to: exported, route, ...(f.description !== undefined ? { description: f.description } : {}) });
  }
  return { exports, routes, flows };
}

/** `cluster1:apps/app1 -> cluster2:apps/app2 : http`, as the derived flows and ACCESS.md name a cross-cluster flow. */
export const describeCrossFlow = (f: { from: { ref: string }; to: { ref: string; portName: string } }) => `${f.from.ref} -> ${f.to.ref} : ${f.to.portName}`;

/**
 * The local flows a cluster needs for the cross-cluster flows it takes part in, at most one per
 * caller and purpose and one per backend port (several calls share them; the description names
 * each): callers to the Lattice data plane on 443, backends from the data plane on the exported
 * port. The signing proxy's own flow (to the Pod Identity agent) is the kyverno component's, which
 * injects the proxy.
 */
function derivedFlows(cluster: string, flows: readonly CrossFlow[]): { flow: FlowInput; from: number }[] {
  const out: { flow: FlowInput; from: number; key: string; calls: string[] }[] = [];
  const add = (key: string, flow: FlowInput, what: string, f: CrossFlow) => {
    const call = `${describeCrossFlow(f)} (${f.route.hostname})`;
    const found = out.find((o) => o.key === key);
    if (!found) out.push({ key, flow, from: f.index, calls: [`${what}: ${call}`] });
    else found.calls.push(call);
  };
  for (const f of flows) {
    if (f.from.cluster === cluster) {
      const self = `${f.from.namespace}/${f.from.app}`;
      add(`egress ${self}`, { from: self, to: { cidr: LATTICE_DATA_PLANE_CIDR, except: [] }, port: 443 }, 'to VPC Lattice, cross-cluster', f);
    }
    if (f.to.cluster === cluster) {
      const self = `${f.to.namespace}/${f.to.app}`;
      add(`ingress ${self}`, { from: { cidr: LATTICE_DATA_PLANE_CIDR, except: [] }, to: self, port: f.to.portName }, 'from VPC Lattice, cross-cluster', f);
    }
  }
  return out.map((o) => ({ flow: { ...o.flow, description: o.calls.join('; ') }, from: o.from }));
}

/** One cluster's view of the service network (platform/vpc-lattice/settings.ts). */
function viewOf(data: Data, cluster: string, plain: readonly Environment[], r: { exports: Export[]; routes: Route[]; flows: CrossFlow[] }): LatticeViewInput {
  const names = data.clusters.map((c) => c.name);
  const eksName = (c: string) => plain[names.indexOf(c)]!.cluster.name;
  const order = (a: Service, b: Service) => byText(`${a.namespace}/${a.app}`, `${b.namespace}/${b.app}`);
  const callersOf = (route: Route) =>
    r.flows
      .filter((f) => f.route === route)
      .map((f) => f.from)
      .sort((a, b) => byText(`${a.cluster}:${a.namespace}/${a.app}`, `${b.cluster}:${b.namespace}/${b.app}`))
      .map((s) => ({ cluster: s.cluster, eksClusterName: eksName(s.cluster), namespace: s.namespace, serviceAccount: s.app, app: s.app }));
  const owned = r.routes.filter((x) => x.cluster === cluster).sort((a, b) => byText(a.name, b.name));
  const calling = new Map<string, { namespace: string; app: string; hostnames: Set<string> }>();
  for (const f of r.flows.filter((x) => x.from.cluster === cluster)) {
    const key = `${f.from.namespace}/${f.from.app}`;
    if (!calling.has(key)) calling.set(key, { namespace: f.from.namespace, app: f.from.app, hostnames: new Set() });
    calling.get(key)!.hostnames.add(f.route.hostname);
  }
  return {
    environment: data.name,
    cluster,
    accountId: data.lattice.accountId,
    serviceNetwork: data.lattice.serviceNetwork,
    domain: data.lattice.domain,
    certificateArn: data.lattice.certificateArn,
    ...(data.lattice.caCertificate ? { caCertificate: data.lattice.caCertificate } : {}),
    exports: r.exports
      .filter((x) => x.cluster === cluster)
      .sort(order)
      .map((x) => ({ namespace: x.namespace, app: x.app, portName: x.portName, port: x.servicePort })),
    imports: owned
      .filter((x) => x.backend.cluster !== cluster)
      .map((x) => x.backend)
      .sort(order)
      .map((x) => ({ namespace: x.namespace, app: x.app, fromCluster: x.cluster })),
    routes: owned.map((x) => ({
      name: x.name,
      namespace: x.backend.namespace,
      hostname: x.hostname,
      backend: {
        kind: x.backend.cluster === cluster ? 'Service' : 'ServiceImport',
        namespace: x.backend.namespace,
        name: x.backend.app,
        port: x.backend.servicePort,
      },
      callers: callersOf(x),
    })),
    callers: [...calling.keys()].sort(byText).map((k) => {
      const c = calling.get(k)!;
      return { namespace: c.namespace, app: c.app, serviceAccount: c.app, hostnames: [...c.hostnames].sort(byText) };
    }),
  };
}

/** The environment file an environment comes from: its own name, or for a unit, its multi-cluster environment's. */
export function sourceOf(env: Pick<Environment, 'name' | 'settings'>): string {
  const v = env.settings[VPC_LATTICE_KEY] as { environment: string } | undefined;
  return v?.environment ?? env.name;
}

/** The cluster's short name of a unit, or undefined for an ordinary environment. */
export function clusterOf(env: Pick<Environment, 'settings'>): string | undefined {
  return (env.settings[VPC_LATTICE_KEY] as { cluster: string } | undefined)?.cluster;
}
