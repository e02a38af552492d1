/**
 * `dist/<env>/ACCESS.md`, for the people who review a change: the addresses outside the cluster
 * by the names the environment gives them, the declared flows (numbered, with what each is for
 * and who declared it), the connectivity matrix (every cell the proven connections, each part
 * linked to the flow that declares it), a Mermaid flowchart (namespaces as subgraphs, the named
 * outside addresses as nodes), the blocked paths proven closed, and the identity view (Twingate
 * group -> resources -> Kubernetes role through the access gateway; with Tailscale, tailnet group
 * -> apps through the subnet router, and roles through the API server proxy).
 *
 * Presentation only: the connections are the proof's (`checkIntent`), and every one of them is
 * attributed to the declared flows that cover it. A flow's end is shown as it was declared: a
 * workload by the analyzer's name for it, `ns/*` as the namespace (not the pods that happen to
 * be modelled there), a CIDR by its name (VPC, API server, internet...) and address, never as
 * the analyzer's list of atomic ranges. Output is deterministic (code-unit order).
 */
import { appRoleName } from '../lib/aws-access';
import { controlPlaneCidrs, kubernetesServiceIp, LATTICE_DATA_PLANE_CIDR, POD_IDENTITY_AGENT } from '../lib/cluster';
import type { Environment, Peer } from '../lib/environment';
import type { RenderedFile } from '../lib/output';
import { planSubnets } from '../lib/subnets';
import { workloadIdentityOf } from '../lib/workload-identity';
import type { Endpoint } from './analyze';
import { type ConnSet, describeConns, intersect, isEmpty, NO_CONNS, subtract, union } from './conns';
import { type DeclaredFlow, declaredFlows, type IntentResult, KUBE_DNS_PEER } from './intent';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/**
 * A table cell: pipes escaped, and `<` too (free text such as `<!--` would hide the rest of the
 * page) except the `<br>` this renderer puts between the parts of a cell. Line breaks cannot
 * occur: validation refuses them.
 */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/<(?!br>)/g, '&lt;');

/** Private (RFC 1918) ranges: what "internet" leaves out, with link-local (instance metadata) optionally. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const LINK_LOCAL = '169.254.0.0/16';

/** A CIDR peer as people know it: its name in the environment and its addresses. */
interface Outside {
  /** The name (`VPC`, `API server (kubernetes Service)`), or the addresses when the environment gives them none. */
  readonly name: string;
  /** What matrix, diagram and flow table show: `VPC 10.10.0.0/16`, `internet: 0.0.0.0/0 except private ranges`. */
  readonly label: string;
  /** The addresses in full, and where the name comes from. */
  readonly addresses: string;
}

/** Names a CIDR peer from the environment's network (VPC, API server...) or the internet's usual shape. */
function outside(env: Pick<Environment, 'name' | 'network' | 'infra'>, peer: Exclude<Peer, string>): Outside {
  const { cidr, except } = peer;
  const net = env.network;
  const named = (name: string, why: string, short = name): Outside => ({ name, label: `${short} ${cidr}`, addresses: `${cidr} (${why})` });
  if (except.length === 0) {
    if (cidr === net.vpcCidr) return named('VPC', 'network.vpcCidr');
    const zone = controlPlaneCidrs(env).indexOf(cidr);
    if (zone >= 0)
      return named(`EKS control plane (zone ${zone + 1})`, `control-plane subnet of availability zone ${zone + 1}, cut from network.vpcCidr`, 'control plane');
    const privateZone = env.infra ? planSubnets(env, env.infra.availabilityZones).findIndex((z) => z.private === cidr) : -1;
    if (privateZone >= 0) {
      const n = privateZone + 1;
      return named(
        `private subnet (zone ${n})`,
        `private subnet of availability zone ${n}: nodes, pods, AWS interface endpoints; cut from network.vpcCidr`,
        'private subnet',
      );
    }
    if (cidr === LATTICE_DATA_PLANE_CIDR)
      return named('VPC Lattice data plane', 'the link-local range VPC Lattice services answer on and forward from', 'VPC Lattice');
    if (cidr === POD_IDENTITY_AGENT.cidr) return named('EKS Pod Identity agent', 'the link-local address the agent serves on every node', 'Pod Identity agent');
    if (cidr === `${kubernetesServiceIp(net.serviceCidr)}/32`) {
      return named('API server (kubernetes Service)', `the kubernetes Service's IP, the first host of network.serviceCidr ${net.serviceCidr}`, 'API server');
    }
    if (cidr === net.serviceCidr) return named('Services', 'network.serviceCidr');
    if (cidr === net.podCidr) return named('pods', 'network.podCidr');
    if (cidr === '0.0.0.0/0') return named('anywhere', 'every IPv4 address');
  }
  const isPrivate = (e: string) => PRIVATE_RANGES.includes(e) || e === LINK_LOCAL;
  if (cidr === '0.0.0.0/0' && PRIVATE_RANGES.every((r) => except.includes(r)) && except.every(isPrivate)) {
    const kinds = except.includes(LINK_LOCAL) ? 'private and link-local ranges' : 'private ranges';
    return {
      name: 'internet',
      label: 'internet: 0.0.0.0/0 except private ranges',
      addresses: `0.0.0.0/0 except ${except.join(', ')} (${kinds})`,
    };
  }
  const text = except.length ? `${cidr} except ${except.join(', ')}` : cidr;
  return { name: text, label: text, addresses: text };
}

/** A peer as the access map shows it (see {@link outside} for CIDRs). */
function describePeerFor(env: Pick<Environment, 'name' | 'network' | 'infra'>, peer: Peer): string {
  return typeof peer === 'string' ? peer : outside(env, peer).label;
}

/** One matrix cell: the connections each flow accounts for. */
type Cell = Map<number, ConnSet>;

interface Matrix {
  /** row -> column -> cell. */
  readonly cells: ReadonlyMap<string, ReadonlyMap<string, Cell>>;
  /** Labels of the outside addresses (rows and columns), for the diagram. */
  readonly outside: ReadonlySet<string>;
  /** The namespace of each in-cluster label. */
  readonly namespaceOf: ReadonlyMap<string, string>;
  /** Flows with no connection in the model (a side without any rendered or modelled pod). */
  readonly unseen: ReadonlySet<number>;
}

/** The in-scope connections attributed to the declared flows, labelled as the flows declare their ends. */
function matrix(env: Environment, proof: IntentResult, declared: readonly DeclaredFlow[]): Matrix {
  const cells = new Map<string, Map<string, Cell>>();
  const outsideLabels = new Set<string>();
  const namespaceOf = new Map<string, string>();
  const seen = new Set<number>();
  const label = (d: DeclaredFlow, side: 'from' | 'to', e: Endpoint): string => {
    const peer = d.flow ? d.flow[side] : side === 'from' ? undefined : KUBE_DNS_PEER;
    if (peer !== undefined && typeof peer !== 'string') {
      const l = outside(env, peer).label;
      outsideLabels.add(l);
      return l;
    }
    const w = (e as Extract<Endpoint, { kind: 'workload' }>).workload;
    // A namespace-wide end (and the DNS flow's source, every owned namespace) is the namespace.
    const l = peer === undefined || peer.endsWith('/*') ? `${w.namespace}/*` : w.id;
    namespaceOf.set(l, w.namespace);
    return l;
  };
  // Declared flows between ends the platform does not own (the SPIRE agent, in its own namespace,
  // to its kubelet) are proven too (checkIntent requires every declared flow open): show them.
  const inScope = new Set(proof.connections);
  const declaredOutside = proof.analysis.connections.filter((c) => !inScope.has(c) && declared.some((d) => d.flow && d.from(c.src) && d.to(c.dst)));
  for (const c of [...proof.connections, ...declaredOutside]) {
    let explained = NO_CONNS;
    for (const d of declared) {
      if (!d.from(c.src) || !d.to(c.dst)) continue;
      const part = intersect(c.conns, d.conns);
      if (isEmpty(part)) continue;
      seen.add(d.number);
      explained = union(explained, part);
      const row = label(d, 'from', c.src);
      const col = label(d, 'to', c.dst);
      const cols = cells.get(row) ?? new Map<string, Cell>();
      cells.set(row, cols);
      const at = cols.get(col) ?? new Map<number, ConnSet>();
      cols.set(col, at);
      at.set(d.number, union(at.get(d.number) ?? NO_CONNS, part));
    }
    // The proof allows nothing undeclared; an unexplained connection means a bug, not a change.
    if (inScope.has(c) && !isEmpty(subtract(c.conns, explained)))
      throw new Error(`internal: ACCESS.md: a proven connection no declared flow explains (env ${env.name})`);
  }
  const unseen = new Set(declared.map((d) => d.number).filter((n) => !seen.has(n)));
  return { cells, outside: outsideLabels, namespaceOf, unseen };
}

const connsText = (c: ConnSet) => {
  const d = describeConns(c);
  return typeof d === 'string' ? d : d.join(', ');
};

/** Cells in-cluster first (code-unit order), then the outside addresses. */
function order(labels: Iterable<string>, outsideLabels: ReadonlySet<string>): string[] {
  const all = [...new Set(labels)];
  return [...all.filter((l) => !outsideLabels.has(l)).sort(byText), ...all.filter((l) => outsideLabels.has(l)).sort(byText)];
}

function matrixTable(m: Matrix): string[] {
  const rows = order(m.cells.keys(), m.outside);
  const cols = order(
    [...m.cells.values()].flatMap((c) => [...c.keys()]),
    m.outside,
  );
  const text = (c: Cell | undefined) =>
    c
      ? [...c.keys()]
          .sort((a, b) => a - b)
          .map((n) => `${connsText(c.get(n)!)} [${n}](#flow-${n})`)
          .join('<br>')
      : '';
  return [
    `| from \\ to | ${cols.map(cell).join(' | ')} |`,
    `| --- | ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cell(r)} | ${cols.map((c) => cell(text(m.cells.get(r)!.get(c)))).join(' | ')} |`),
  ];
}

function flowchart(m: Matrix): string[] {
  const nodes = order([...m.cells.keys(), ...[...m.cells.values()].flatMap((c) => [...c.keys()])], m.outside);
  const id = new Map(nodes.map((n, i) => [n, `n${i}`]));
  const text = (s: string) => s.replace(/"/g, '#quot;');
  const out = ['```mermaid', 'flowchart LR'];
  const byNs = new Map<string, string[]>();
  for (const n of nodes) {
    const ns = m.namespaceOf.get(n);
    if (ns !== undefined) byNs.set(ns, [...(byNs.get(ns) ?? []), n]);
  }
  [...byNs.keys()].sort(byText).forEach((ns, i) => {
    out.push(`  subgraph ns${i}["namespace ${ns}"]`);
    for (const n of byNs.get(ns)!) {
      const short = n.slice(ns.length + 1);
      out.push(`    ${id.get(n)}["${text(short === '*' ? 'every pod' : short)}"]`);
    }
    out.push('  end');
  });
  const outsideNodes = nodes.filter((n) => m.outside.has(n));
  if (outsideNodes.length) {
    out.push('  subgraph outside["outside the cluster"]');
    for (const n of outsideNodes) out.push(`    ${id.get(n)}["${text(n)}"]`);
    out.push('  end');
  }
  for (const row of order(m.cells.keys(), m.outside)) {
    const cols = m.cells.get(row)!;
    for (const col of order(cols.keys(), m.outside)) {
      const c = cols.get(col)!;
      const numbers = [...c.keys()].sort((a, b) => a - b);
      const all = numbers.reduce((acc, n) => union(acc, c.get(n)!), NO_CONNS);
      const flows = `flow${numbers.length > 1 ? 's' : ''} ${numbers.join(', ')}`;
      out.push(`  ${id.get(row)} -->|"${text(`${connsText(all)} (${flows})`)}"| ${id.get(col)}`);
    }
  }
  out.push('```');
  return out;
}

function flowTable(env: Environment, proof: IntentResult, declared: readonly DeclaredFlow[], unseen: ReadonlySet<number>): string[] {
  // A workload end with the workloads of the model it matches (the names the matrix uses).
  const end = (peer: Peer, matcher: DeclaredFlow['from']) => {
    const text = describePeerFor(env, peer);
    if (typeof peer !== 'string' || peer.endsWith('/*')) return text;
    const ids = proof.analysis.workloads.filter((workload) => matcher({ kind: 'workload', workload })).map((w) => w.id);
    return ids.length ? `${text} (${ids.join(', ')})` : text;
  };
  const rows = declared.map((d) => {
    const f = d.flow;
    const anchor = `<a id="flow-${d.number}"></a>${d.number}`;
    const note = unseen.has(d.number) ? '_(no rendered or modelled pod on one side: nothing in the matrix)_' : '';
    if (!f) {
      const from = env.namespaces.map((ns) => `${ns}/*`).join(', ');
      return `| ${anchor} | ${cell(from)} | ${cell(end(KUBE_DNS_PEER, d.to))} | ${connsText(d.conns)} | ${['DNS, implicit for every namespace the platform owns', note].filter(Boolean).join(' ')} | platform |`;
    }
    const port = `${connsText(d.conns)}${typeof f.port === 'string' ? ` (${f.port})` : ''}`;
    const by = f.origin ? `component ${f.origin}` : 'environment';
    return `| ${anchor} | ${cell(end(f.from, d.from))} | ${cell(end(f.to, d.to))} | ${port} | ${[cell(f.description ?? ''), note].filter(Boolean).join(' ')} | ${by} |`;
  });
  return ['| # | from | to | port | what for | declared by |', '| --- | --- | --- | --- | --- | --- |', ...rows];
}

function outsideTable(env: Environment): string[] {
  const peers = [...env.flows.flatMap((f) => [f.from, f.to]), ...env.blocked.flatMap((b) => [b.from, b.to])].filter((p) => typeof p !== 'string');
  const seen = new Map<string, Outside>();
  for (const p of peers) {
    const o = outside(env, p);
    if (!seen.has(o.label)) seen.set(o.label, o);
  }
  if (seen.size === 0) return ['None: no flow or blocked path names an address outside the cluster.'];
  const list = [...seen.values()].sort((a, b) => byText(a.label, b.label));
  return ['| name | addresses |', '| --- | --- |', ...list.map((o) => `| ${cell(o.name)} | ${cell(o.addresses)} |`)];
}

/** How people reach apps and the API server, per access provider whose settings block the environment has. */
const PROVIDERS = [
  { key: 'twingate', name: 'Twingate', reach: 'Twingate', api: 'access gateway' },
  { key: 'tailscale', name: 'Tailscale', reach: 'Tailscale subnet router', api: 'Tailscale API server proxy' },
] as const;

/** The providers of an environment; Twingate's wording when it has none (the access table alone). */
function providersOf(env: Environment): readonly (typeof PROVIDERS)[number][] {
  const found = PROVIDERS.filter((p) => env.settings[p.key] !== undefined);
  return found.length > 0 ? found : [PROVIDERS[0]];
}

function identity(env: Environment): string[] {
  const via = providersOf(env);
  const names = via.map((p) => p.name).join(' or ');
  if (env.groups.length === 0) return [`No groups: nobody reaches anything in this environment through ${names}.`];
  const only = via.length === 1 ? via[0]!.key : undefined;
  const groupHeader = only === 'twingate' ? 'Twingate group' : only === 'tailscale' ? 'Tailnet group' : 'Group (Twingate and tailnet)';
  const appsHeader =
    only === 'twingate'
      ? 'Twingate resources (apps)'
      : only === 'tailscale'
        ? 'Apps (through the subnet router)'
        : 'Apps (Twingate resources, Tailscale subnet router)';
  // Every declared group, with its access row or none. Code-unit order, not localeCompare: the
  // output must not depend on the machine's locale.
  const rows = [...env.groups]
    .sort(byText)
    .map((group) => env.access.find((r) => r.group === group) ?? { group, resources: [] as string[], kubernetesRole: undefined, clusterRole: undefined });
  const app = (r: string) => `${r} (${env.apps[r]!.namespace}/${r})`;
  const namespaced = (r: (typeof rows)[number]) =>
    r.kubernetesRole ? `${r.kubernetesRole} in ${[...new Set(r.resources.map((a) => env.apps[a]!.namespace))].sort().join(', ')}` : 'none';
  // Cluster-wide grants are flagged: they reach every namespace, the platform's included.
  const clusterWide = (r: (typeof rows)[number]) =>
    r.clusterRole === 'cluster-admin' ? '**cluster-admin (break-glass)**' : r.clusterRole ? `**${r.clusterRole}, cluster-wide**` : 'none';
  return [
    `| ${groupHeader} | ${appsHeader} | Kubernetes role in the apps' namespaces (RoleBindings) | Cluster-wide role (ClusterRoleBinding) |`,
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${cell(r.group)} | ${r.resources.map(app).join(', ') || 'none'} | ${namespaced(r)} | ${clusterWide(r)} |`),
    '',
    '```mermaid',
    'flowchart LR',
    ...rows.flatMap((r, i) => [
      `  g${i}["group ${r.group.replace(/"/g, '#quot;')}"]`,
      ...via.flatMap((p) => r.resources.map((res) => `  g${i} -->|${p.reach}| r_${res.replace(/-/g, '_')}["resource ${res}"]`)),
      ...via.flatMap((p) => (r.kubernetesRole ? [`  g${i} -->|${p.api}| k_${r.kubernetesRole.replace(/-/g, '_')}["ClusterRole ${r.kubernetesRole}"]`] : [])),
      ...via.flatMap((p) =>
        r.clusterRole ? [`  g${i} -->|${p.api}, cluster-wide| c_${r.clusterRole.replace(/-/g, '_')}["ClusterRole ${r.clusterRole}, cluster-wide"]`] : [],
      ),
    ]),
    '```',
  ];
}

/**
 * The identity layer beside the network layer: who each workload is authenticated as (its SPIFFE
 * ID), which SPIFFE ID may call which over mTLS and the network flow that lets the call through,
 * and the AWS role each app assumes with exactly its declared actions. Empty (no section) when
 * the environment declares no workload identity and no AWS access.
 */
function workloadIdentity(env: Environment): string[] {
  const view = workloadIdentityOf(env);
  const aws = Object.entries(env.apps)
    .filter(([, a]) => a.aws.length > 0)
    .sort(([a], [b]) => byText(a, b));
  if (!view && aws.length === 0) return [];
  const workloads = [...new Set([...(view?.identities.map((i) => i.app) ?? []), ...aws.map(([n]) => n)])].sort(byText);
  const role = (app: string) => (env.apps[app]!.aws.length ? `\`${appRoleName(env.name, app)}\`` : 'none');
  const out = [
    '## Workload identity',
    '',
    view
      ? `SPIFFE trust domain \`${view.trustDomain}\` (SPIRE). A workload proves who it is with an X.509 SVID for its ServiceAccount; AWS access comes from its own IAM role through EKS Pod Identity, never from the node.`
      : "No SPIFFE identities (no `spire` block). AWS access comes from each app's own IAM role through EKS Pod Identity, never from the node.",
    '',
    '| workload | ServiceAccount | authenticated as (SPIFFE ID) | AWS role (EKS Pod Identity) |',
    '| --- | --- | --- | --- |',
    ...workloads.map((app) => {
      const ns = env.apps[app]!.namespace;
      const id = view?.identities.find((i) => i.app === app);
      return `| ${ns}/${app} | ${ns}/${app} | ${id ? `\`${id.spiffeId}\`` : 'none'} | ${role(app)} |`;
    }),
  ];
  if (view) {
    const flowOf = (client: string, server: string, port: string, containerPort: number) =>
      env.flows.findIndex((f) => !f.origin && f.from === client && f.to === server && (f.port === port || f.port === containerPort)) + 1;
    out.push('', '### mTLS: who may call whom, authenticated as whom', '');
    if (view.mtls.length === 0) out.push('None declared.');
    else {
      out.push('| client (SPIFFE ID) | server (SPIFFE ID) | port | network flow | what for |', '| --- | --- | --- | --- | --- |');
      for (const m of view.mtls) {
        const n = flowOf(`${m.client.namespace}/${m.client.app}`, `${m.server.namespace}/${m.server.app}`, m.port, m.containerPort);
        out.push(
          `| \`${m.client.spiffeId}\` | \`${m.server.spiffeId}\` | TCP ${m.containerPort} (${m.port}) | ${n > 0 ? `[${n}](#flow-${n})` : 'none'} | ${cell(m.description ?? '')} |`,
        );
      }
      out.push(
        '',
        'The server accepts exactly these client IDs (`SPIFFE_MTLS_ALLOWED_CLIENTS` in its pods); the network flow lets nothing else reach the port.',
      );
    }
  }
  if (aws.length) {
    out.push('', '### AWS access (one role per app, exactly these actions on exactly these resources)', '');
    out.push('| app | IAM role | actions | resources |', '| --- | --- | --- | --- |');
    for (const [app, a] of aws) {
      for (const st of a.aws)
        out.push(
          `| ${a.namespace}/${app} | ${role(app)} | ${[...st.actions].sort().join(', ')} | ${[...st.resources]
            .sort()
            .map((r) => `\`${r}\``)
            .join(', ')} |`,
        );
    }
  }
  out.push('');
  return out;
}

/**
 * The parts of a unit's `vpcLattice` view (platform/vpc-lattice/settings.ts, derived by
 * lib/clusters.ts) this page shows; read structurally, as the analyzer imports no component.
 */
interface LatticeViewShown {
  readonly environment: string;
  readonly cluster: string;
  readonly serviceNetwork: string;
  readonly domain: string;
  readonly exports: readonly { readonly namespace: string; readonly app: string; readonly portName: string; readonly port: number }[];
  readonly imports: readonly { readonly namespace: string; readonly app: string; readonly fromCluster: string }[];
  readonly routes: readonly {
    readonly name: string;
    readonly hostname: string;
    readonly backend: { readonly kind: string; readonly namespace: string; readonly name: string; readonly port: number };
    readonly callers: readonly { readonly cluster: string; readonly eksClusterName: string; readonly namespace: string; readonly serviceAccount: string }[];
  }[];
  readonly callers: readonly { readonly namespace: string; readonly app: string; readonly serviceAccount: string; readonly hostnames: readonly string[] }[];
}

/**
 * The cross-cluster calls of a unit of a multi-cluster environment, the two sides of each
 * side by side: IAM (who a route's auth policy allows, by Pod Identity session tags) and the
 * network (the proven flows of this cluster that let the call leave or arrive). Empty for an
 * environment without a `vpcLattice` view.
 */
function crossCluster(env: Environment): string[] {
  const v = env.settings.vpcLattice as LatticeViewShown | undefined;
  if (!v) return [];
  const lattice = (p: Peer) => typeof p !== 'string' && p.cidr === LATTICE_DATA_PLANE_CIDR;
  const links = (match: (f: Environment['flows'][number]) => boolean) =>
    env.flows
      .map((f, i) => (match(f) ? `[${i + 1}](#flow-${i + 1})` : ''))
      .filter(Boolean)
      .join(', ') || '**none**';
  const ingress = (ns: string, app: string) => links((f) => lattice(f.from) && f.to === `${ns}/${app}`);
  const out = [
    '## Cross-cluster (VPC Lattice)',
    '',
    `Cluster \`${v.cluster}\` of the multi-cluster environment \`${v.environment}\`, in service network \`${v.serviceNetwork}\` (private domain \`${v.domain}\`).`,
    `A call crosses clusters when both sides let it: IAM (the route's IAMAuthPolicy allows exactly the callers listed, by their EKS Pod Identity session tags; callers sign with SigV4) and the network (this cluster's flows to and from the VPC Lattice data plane ${LATTICE_DATA_PLANE_CIDR}, proven above; the other cluster's are in its own ACCESS.md).`,
    '',
    '### Routes in this cluster (HTTPRoute and IAMAuthPolicy)',
    '',
  ];
  if (v.routes.length === 0) out.push('None.');
  else {
    out.push(
      '| route (hostname) | backend (cluster:namespace/app) | allowed callers (IAM: cluster, namespace, service account) | network (this cluster) |',
      '| --- | --- | --- | --- |',
    );
    for (const r of v.routes) {
      const from =
        r.backend.kind === 'Service' ? v.cluster : (v.imports.find((i) => i.namespace === r.backend.namespace && i.app === r.backend.name)?.fromCluster ?? '?');
      const backend = `${from}:${r.backend.namespace}/${r.backend.name} port ${r.backend.port}${r.backend.kind === 'Service' ? '' : ' (ServiceImport)'}`;
      const callers = r.callers.map((c) => `${c.cluster} (EKS \`${c.eksClusterName}\`), ${c.namespace}, ${c.serviceAccount}`).join('<br>') || 'nobody';
      const network =
        r.backend.kind === 'Service' ? `in from VPC Lattice: ${ingress(r.backend.namespace, r.backend.name)}` : `backend in cluster ${from} (its ACCESS.md)`;
      out.push(`| \`${r.hostname}\` | ${backend} | ${callers} | ${network} |`);
    }
  }
  out.push('', '### Services this cluster exports (ServiceExport)', '');
  if (v.exports.length === 0) out.push('None.');
  else {
    out.push('| service | port | network (this cluster) |', '| --- | --- | --- |');
    for (const x of v.exports)
      out.push(`| ${v.cluster}:${x.namespace}/${x.app} | ${x.portName} (Service port ${x.port}) | in from VPC Lattice: ${ingress(x.namespace, x.app)} |`);
  }
  out.push('', '### Calls from this cluster (SigV4 signing proxy)', '');
  if (v.callers.length === 0) out.push('None.');
  else {
    out.push('| caller | signs as (IAM: cluster, namespace, service account) | calls | network (this cluster) |', '| --- | --- | --- | --- |');
    for (const c of v.callers) {
      const self = `${c.namespace}/${c.app}`;
      const egress = links((f) => f.from === self && lattice(f.to));
      const agent = links((f) => f.from === self && typeof f.to !== 'string' && f.to.cidr === POD_IDENTITY_AGENT.cidr);
      out.push(
        `| ${v.cluster}:${self} | ${v.cluster} (EKS \`${env.cluster.name}\`), ${c.namespace}, ${c.serviceAccount} | ${c.hostnames.map((h) => `\`${h}\``).join(', ')} | out to VPC Lattice: ${egress}; credentials: ${agent} |`,
      );
    }
  }
  out.push('');
  return out;
}

/** Renders an environment's ACCESS.md from its proven intent (see `checkIntent`). */
export function accessFile(env: Environment, proof: IntentResult): RenderedFile {
  const declared = declaredFlows(env);
  const m = matrix(env, proof, declared);
  const blocked = env.blocked.map((b) => `| ${cell(describePeerFor(env, b.from))} | ${cell(describePeerFor(env, b.to))} | ${cell(b.reason ?? '')} |`);
  const content = [
    '<!-- Generated by `pnpm synth` from the typed sources; do not edit by hand. -->',
    `# Access map: ${env.name}`,
    '',
    `Proven at synth time from the rendered NetworkPolicies (\`pnpm --silent reach dist/${env.name}\` lists the rendered objects alone).`,
    'Connections with at least one workload in a namespace the platform owns; DNS to kube-dns is implicit for every owned namespace.',
    'Pods synth does not render (operator-made, kube-dns) are modelled from the environment.',
    '',
    '## Addresses outside the cluster',
    '',
    ...outsideTable(env),
    '',
    '## Declared flows',
    '',
    ...flowTable(env, proof, declared, m.unseen),
    '',
    '## Connectivity matrix',
    '',
    'Rows are sources, columns destinations; each part of a cell links to the flow that declares it. A `namespace/*` end is every pod of the namespace.',
    '',
    ...(m.cells.size ? matrixTable(m) : ['No connections.']),
    '',
    '## Allowed flows',
    '',
    ...(m.cells.size ? flowchart(m) : ['No connections.']),
    '',
    '## Blocked paths (proven closed)',
    '',
    ...(blocked.length ? ['| from | to | why |', '| --- | --- | --- |', ...blocked] : ['None declared.']),
    '',
    '## Identity',
    '',
    ...identity(env),
    '',
    ...workloadIdentity(env),
    ...crossCluster(env),
  ].join('\n');
  return { path: `${env.name}/ACCESS.md`, content };
}
