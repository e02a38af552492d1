/**
 * Multi-cluster environments (lib/clusters.ts): the expansion of a file with `clusters` into its
 * units equals what the file declares (units, views, flows, callers, imports and exports), every
 * refusal is its one line, the loader selects a file's units or one of them, and synth fails on
 * bad input without touching its output.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import dev from '../../environments/dev';
import lattice from '../../environments/lattice';
import { main as synth } from '../../lib/cli/synth';
import { expandEnvironment, LATTICE_DATA_PLANE_CIDR, type LoadedUnit } from '../../lib/clusters';
import { environmentError } from '../../lib/errors';
import { crossEnvironmentProblems, loadEnvironment, loadEnvironments } from '../../lib/load';
import { readTree } from '../../lib/output';
import { latticeOf } from '../../platform/vpc-lattice/settings';
import { captureIo, clone, environmentsDir, REPO, tempDir } from '../support';

/** The plain data of the environment file, reshaped freely by the cases. */
type Input = any;
const input = (): Input => clone(lattice);

function units(value: unknown): LoadedUnit[] {
  const r = expandEnvironment(value);
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.units;
}

/** The one line `pnpm synth` prints for a multi-cluster file named lattice. */
function refusal(value: unknown): string {
  const r = expandEnvironment(value);
  if (!('problem' in r)) throw new Error('expected a problem, got units');
  return environmentError('lattice', r.problem.path, r.problem.message).message;
}

const egress = (self: string, description: string) => ({ from: self, to: { cidr: LATTICE_DATA_PLANE_CIDR, except: [] }, port: 443, description });
const ingress = (self: string, port: string, description: string) => ({ from: { cidr: LATTICE_DATA_PLANE_CIDR, except: [] }, to: self, port, description });

describe('expansion of environments/lattice.ts', () => {
  const [one, two] = units(input());

  it('is one unit per cluster, named <env>-<cluster>, each an ordinary environment with the shared fields and its own', () => {
    expect([one!.unit.name, two!.unit.name]).toEqual(['lattice-cluster1', 'lattice-cluster2']);
    expect([one!.env.name, two!.env.name]).toEqual(['lattice-cluster1', 'lattice-cluster2']);
    expect([one!.env.cluster.name, two!.env.cluster.name]).toEqual(['lattice-eks-1', 'lattice-eks-2']);
    // The same VPC in both: what Lattice is for.
    expect([one!.env.network.vpcCidr, two!.env.network.vpcCidr]).toEqual(['10.0.0.0/16', '10.0.0.0/16']);
    expect(Object.keys(one!.env.apps)).toEqual(['app1']);
    expect(Object.keys(two!.env.apps)).toEqual(['app2']);
    for (const u of [one!, two!]) {
      expect(u.env.groups).toEqual(['Engineering', 'Platform Admins']);
      expect(u.env.aws.region).toBe('eu-west-1');
      expect(u.env.blocked).toHaveLength(3);
    }
  });

  it('gives each cluster its view: its exports and routes, each route allowing exactly the flows to its backend', () => {
    const common = {
      environment: 'lattice',
      accountId: '111122223333',
      serviceNetwork: 'zt-lattice',
      domain: 'lattice.zt.internal',
      certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000',
      imports: [],
    };
    expect(latticeOf(one!.env)).toEqual({
      ...common,
      cluster: 'cluster1',
      exports: [{ namespace: 'apps', app: 'app1', portName: 'http', port: 80 }],
      routes: [
        {
          name: 'app1',
          namespace: 'apps',
          hostname: 'app1.lattice.zt.internal',
          backend: { kind: 'Service', namespace: 'apps', name: 'app1', port: 80 },
          callers: [{ cluster: 'cluster2', eksClusterName: 'lattice-eks-2', namespace: 'apps', serviceAccount: 'app2', app: 'app2' }],
        },
      ],
      callers: [{ namespace: 'apps', app: 'app1', serviceAccount: 'app1', hostnames: ['app2.lattice.zt.internal'] }],
    });
    expect(latticeOf(two!.env)).toEqual({
      ...common,
      cluster: 'cluster2',
      exports: [{ namespace: 'apps', app: 'app2', portName: 'http', port: 80 }],
      routes: [
        {
          name: 'app2',
          namespace: 'apps',
          hostname: 'app2.lattice.zt.internal',
          backend: { kind: 'Service', namespace: 'apps', name: 'app2', port: 80 },
          callers: [{ cluster: 'cluster1', eksClusterName: 'lattice-eks-1', namespace: 'apps', serviceAccount: 'app1', app: 'app1' }],
        },
      ],
      callers: [{ namespace: 'apps', app: 'app2', serviceAccount: 'app2', hostnames: ['app1.lattice.zt.internal'] }],
    });
  });

  it("route callers are the cross-cluster flows to the route's backend, computed from the file", () => {
    const file = input();
    for (const u of [one!, two!]) {
      for (const route of latticeOf(u.env).routes) {
        const backend = `${latticeOf(u.env).cluster}:${route.backend.namespace}/${route.backend.name}`;
        const declared = file.crossClusterFlows.filter((f: { to: string }) => f.to === backend).map((f: { from: string }) => f.from);
        expect(route.callers.map((c) => `${c.cluster}:${c.namespace}/${c.app}`)).toEqual(declared);
      }
    }
  });

  it('adds the local flows the cross-cluster flows imply, after the declared ones, each naming its cross-cluster flow', () => {
    const out = 'cluster1:apps/app1 -> cluster2:apps/app2 : http (app2.lattice.zt.internal)';
    const back = 'cluster2:apps/app2 -> cluster1:apps/app1 : http (app1.lattice.zt.internal)';
    expect(one!.unit.input.flows).toEqual([
      egress('apps/app1', `to VPC Lattice, cross-cluster: ${out}`),
      ingress('apps/app1', 'http', `from VPC Lattice, cross-cluster: ${back}`),
    ]);
    expect(two!.unit.input.flows).toEqual([
      ingress('apps/app2', 'http', `from VPC Lattice, cross-cluster: ${out}`),
      egress('apps/app2', `to VPC Lattice, cross-cluster: ${back}`),
    ]);
    expect(one!.unit.derivedFrom).toEqual([0, 1]);
    // Resolved like any flow: the backend's container port, not the Service port.
    const ingress1 = one!.env.flows.find((f) => f.to === 'apps/app1')!;
    expect(ingress1.ports).toEqual({ protocol: 'TCP', port: 8080 });
  });

  it('routes in another cluster import the backend; several calls share one flow per caller, naming each', () => {
    const file = input();
    file.clusters[1].apps.app3 = { ...file.clusters[1].apps.app2 };
    file.lattice.exports.push({ service: 'cluster2:apps/app3', port: 8080 });
    file.lattice.routes.push({ name: 'app3', backend: 'cluster2:apps/app3', cluster: 'cluster1' });
    file.crossClusterFlows.push({ from: 'cluster1:apps/app1', to: 'cluster2:apps/app3', port: 'http' });
    const [a, b] = units(file);
    const view = latticeOf(a!.env);
    expect(view.imports).toEqual([{ namespace: 'apps', app: 'app3', fromCluster: 'cluster2' }]);
    expect(view.routes.map((r) => [r.name, r.backend])).toEqual([
      ['app1', { kind: 'Service', namespace: 'apps', name: 'app1', port: 80 }],
      ['app3', { kind: 'ServiceImport', namespace: 'apps', name: 'app3', port: 80 }],
    ]);
    expect(view.callers).toEqual([
      { namespace: 'apps', app: 'app1', serviceAccount: 'app1', hostnames: ['app2.lattice.zt.internal', 'app3.lattice.zt.internal'] },
    ]);
    expect(latticeOf(b!.env).exports.map((x) => x.app)).toEqual(['app2', 'app3']);
    expect(latticeOf(b!.env).routes.map((r) => r.name)).toEqual(['app2']);
    const toLattice = a!.unit.input.flows.filter((f) => f.from === 'apps/app1' && typeof f.to === 'object' && f.to.cidr === LATTICE_DATA_PLANE_CIDR);
    expect(toLattice).toHaveLength(1);
    expect(toLattice[0]!.description).toBe(
      'to VPC Lattice, cross-cluster: cluster1:apps/app1 -> cluster2:apps/app2 : http (app2.lattice.zt.internal); cluster1:apps/app1 -> cluster2:apps/app3 : http (app3.lattice.zt.internal)',
    );
  });

  it("a caller's signing proxy reaches the Pod Identity agent by the kyverno component's flow, once", () => {
    const [a] = units(input());
    const agents = a!.env.flows.filter((f) => f.from === 'apps/app1' && typeof f.to === 'object' && f.to.cidr === '169.254.170.23/32');
    expect(agents.map((f) => f.origin)).toEqual(['kyverno']);
    expect(a!.unit.input.flows.some((f) => typeof f.to === 'object' && f.to.cidr === '169.254.170.23/32')).toBe(false);
  });
});

/** [case, change to environments/lattice.ts, the exact line] */
const REFUSED: [string, (e: Input) => void, string][] = [
  [
    'a flow to a service that is not exported',
    (e) => e.lattice.exports.splice(1, 1) && e.lattice.routes.splice(1, 1),
    'environment lattice: crossClusterFlows[0].to: "cluster2:apps/app2" is not exported (add it to lattice.exports, with a route)',
  ],
  [
    'two clusters with the same name',
    (e) => (e.clusters[1].name = 'cluster1'),
    'environment lattice: clusters[1].name: "cluster1" is declared twice (clusters[0])',
  ],
  [
    'two clusters with the same cluster.name',
    (e) => (e.clusters[1].cluster.name = 'lattice-eks-1'),
    'environment lattice: clusters[1].cluster.name: "lattice-eks-1" is also the cluster name of clusters[0] (cluster1); every cluster needs its own',
  ],
  [
    'a cluster name shared by every cluster',
    (e) => {
      e.cluster = e.clusters[0].cluster;
      for (const c of e.clusters) delete c.cluster;
    },
    'environment lattice: cluster.name: "lattice-eks-1" is also the cluster name of clusters[0] (cluster1); every cluster needs its own',
  ],
  [
    'an export without a route',
    (e) => e.lattice.routes.splice(1, 1),
    'environment lattice: lattice.exports[1]: "cluster2:apps/app2" has no route (add one to lattice.routes)',
  ],
  [
    'a route to a service that is not exported',
    (e) => e.lattice.exports.splice(1, 1),
    'environment lattice: lattice.routes[1].backend: "cluster2:apps/app2" is not exported (add it to lattice.exports)',
  ],
  [
    'an unknown cluster',
    (e) => (e.crossClusterFlows[0].to = 'cluster3:apps/app2'),
    'environment lattice: crossClusterFlows[0].to: unknown cluster "cluster3" in "cluster3:apps/app2" (clusters: cluster1, cluster2)',
  ],
  [
    'an unknown app',
    (e) => (e.lattice.exports[0].service = 'cluster1:apps/app9'),
    'environment lattice: lattice.exports[0].service: cluster cluster1 has no app "app9"',
  ],
  [
    'an app in another namespace',
    (e) => (e.crossClusterFlows[1].from = 'cluster2:web/app2'),
    'environment lattice: crossClusterFlows[1].from: app "app2" of cluster cluster2 is in namespace "apps", not "web"',
  ],
  [
    'an unknown port',
    (e) => (e.crossClusterFlows[0].port = 'grpc'),
    'environment lattice: crossClusterFlows[0].port: "cluster2:apps/app2" has no port named "grpc" (it has "http")',
  ],
  [
    'an unknown container port',
    (e) => (e.lattice.exports[0].port = 9090),
    'environment lattice: lattice.exports[0].port: "cluster1:apps/app1" has no port 9090 (it has "http")',
  ],
  [
    'a flow on a port that is not exported',
    (e) => {
      e.clusters[1].apps.app2.ports.metrics = { containerPort: 9090 };
      e.crossClusterFlows[0].port = 'metrics';
    },
    'environment lattice: crossClusterFlows[0].port: port "metrics" of "cluster2:apps/app2" is not exported (lattice.exports offers "http")',
  ],
  [
    'a route namespace not declared in its cluster',
    (e) => {
      e.clusters[1].apps.app2.namespace = 'backend';
      delete e.namespaces;
      e.clusters[0].namespaces = ['twingate', 'apps'];
      e.clusters[1].namespaces = ['twingate', 'apps', 'backend'];
      e.lattice.exports[1].service = 'cluster2:backend/app2';
      e.lattice.routes[1] = { name: 'app2', backend: 'cluster2:backend/app2', cluster: 'cluster1' };
      e.crossClusterFlows[0].to = 'cluster2:backend/app2';
      e.crossClusterFlows[1].from = 'cluster2:backend/app2';
    },
    'environment lattice: lattice.routes[1].cluster: namespace "backend" is not declared in cluster cluster1 (its HTTPRoute lives there)',
  ],
  [
    'a route in an unknown cluster',
    (e) => (e.lattice.routes[0].cluster = 'cluster9'),
    'environment lattice: lattice.routes[0].cluster: unknown cluster "cluster9" (clusters: cluster1, cluster2)',
  ],
  [
    'two routes of one name',
    (e) => (e.lattice.routes[1].name = 'app1'),
    'environment lattice: lattice.routes[1].name: "app1" is the name of lattice.routes[0] too (hostnames are <name>.<domain>)',
  ],
  [
    'two routes to one service',
    (e) => e.lattice.routes.push({ name: 'again', backend: 'cluster1:apps/app1' }),
    'environment lattice: lattice.routes[2].backend: "cluster1:apps/app1" already has a route (lattice.routes[0])',
  ],
  [
    'a service exported twice',
    (e) => e.lattice.exports.push({ service: 'cluster1:apps/app1', port: 'http' }),
    'environment lattice: lattice.exports[2].service: "cluster1:apps/app1" is exported twice (lattice.exports[0])',
  ],
  [
    'a cross-cluster flow within one cluster',
    (e) => (e.crossClusterFlows[0].to = 'cluster1:apps/app1'),
    'environment lattice: crossClusterFlows[0]: both ends are in cluster cluster1; declare it in clusters[0].flows',
  ],
  [
    'a cross-cluster flow twice',
    (e) => e.crossClusterFlows.push({ ...e.crossClusterFlows[0] }),
    'environment lattice: crossClusterFlows[2]: duplicates crossClusterFlows[0]',
  ],
  [
    'a service reference that is not one',
    (e) => (e.crossClusterFlows[0].from = 'apps/app1'),
    'environment lattice: crossClusterFlows[0].from: "apps/app1" is not a service ("<cluster>:<namespace>/<app>")',
  ],
  [
    'a hand-written vpcLattice block',
    (e) => (e.vpcLattice = {}),
    "environment lattice: vpcLattice: is derived from a multi-cluster environment's lattice block and crossClusterFlows (docs/multi-cluster.md); remove it",
  ],
  [
    "a hand-written vpcLattice block in a cluster's entry",
    (e) => (e.clusters[0].vpcLattice = {}),
    "environment lattice: clusters[0].vpcLattice: is derived from a multi-cluster environment's lattice block and crossClusterFlows (docs/multi-cluster.md); remove it",
  ],
  [
    'a field set for the environment and a cluster',
    (e) => (e.clusters[1].groups = ['Engineering']),
    'environment lattice: clusters[1].groups: is also set for the whole environment; set it in one place',
  ],
  [
    "the lattice block in a cluster's entry",
    (e) => (e.clusters[1].lattice = e.lattice),
    'environment lattice: clusters[1].lattice: belongs to the environment as a whole, not to one cluster',
  ],
  ['one cluster', (e) => e.clusters.splice(1, 1), 'environment lattice: clusters: a multi-cluster environment declares at least two clusters'],
  ['no lattice block', (e) => delete e.lattice, 'environment lattice: lattice: is required'],
  ['a bad account', (e) => (e.lattice.accountId = '1234'), 'environment lattice: lattice.accountId: "1234" is not an AWS account id (12 digits)'],
  ['an unknown field of the lattice block', (e) => (e.lattice.zone = 'x'), 'environment lattice: lattice: unknown field "zone"'],
  // A cluster's own problem is at its place in the file; a shared field's names the cluster it failed in.
  [
    "a cluster's bad field",
    (e) => (e.clusters[1].apps.app2.image = 'traefik/whoami:latest'),
    'environment lattice: clusters[1].apps.app2.image: "traefik/whoami:latest" is not pinned (the tag "latest" floats: use an explicit version tag or a digest)',
  ],
  ["a cluster's missing field", (e) => delete e.clusters[0].network, 'environment lattice: clusters[0].network: is required'],
  [
    'a shared field that fails in one cluster',
    (e) => {
      e.access = e.clusters[0].access;
      for (const c of e.clusters) delete c.access;
    },
    'environment lattice: access[0].resources[0]: unknown app "app1" (in cluster cluster2)',
  ],
  [
    'a unit name too long',
    (e) => (e.clusters[1].name = 'c'.repeat(60)),
    `environment lattice: clusters[1].name: "lattice-${'c'.repeat(60)}" is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
  ],
  [
    'a declared flow equal to a derived one',
    (e) => (e.clusters[0].flows = [{ from: 'apps/app1', to: { cidr: LATTICE_DATA_PLANE_CIDR }, port: 443 }]),
    'environment lattice: crossClusterFlows[0]: cluster cluster1 declares a flow it derives; remove the declared one',
  ],
];

describe('refusals: one line naming the environment and the field path', () => {
  it.each(REFUSED.map(([what, , line]) => [what, line] as const))('%s', (what, line) => {
    const file = input();
    REFUSED.find(([w]) => w === what)![1](file);
    expect(refusal(file)).toBe(line);
  });

  it('accepts overlapping VPC CIDRs between its clusters, and between a unit and another environment', async () => {
    const envs = await loadEnvironments(undefined, ['lattice', 'urlshort']);
    expect(envs.map((e) => [e.name, e.network.vpcCidr])).toEqual([
      ['lattice-cluster1', '10.0.0.0/16'],
      ['lattice-cluster2', '10.0.0.0/16'],
      ['urlshort', '10.0.0.0/16'],
    ]);
    expect(crossEnvironmentProblems(envs)).toEqual([]);
    // Two ordinary environments still may not overlap.
    const urlshort = envs[2]!;
    expect(crossEnvironmentProblems([urlshort, { ...urlshort, name: 'copy', cluster: { ...urlshort.cluster, name: 'other' } }])).toEqual([
      'environments copy and urlshort have overlapping VPC CIDRs 10.0.0.0/16 and 10.0.0.0/16 (network.vpcCidr ranges must be disjoint)',
    ]);
  });
});

describe('loading', () => {
  it('a file with clusters yields its units; --env names the file (all its units) or one unit', async () => {
    expect((await loadEnvironments()).map((e) => e.name)).toEqual(['dev', 'lab', 'lattice-cluster1', 'lattice-cluster2', 'prod', 'staging', 'urlshort']);
    expect((await loadEnvironments(undefined, ['lattice'])).map((e) => e.name)).toEqual(['lattice-cluster1', 'lattice-cluster2']);
    expect((await loadEnvironments(undefined, ['lattice-cluster2', 'dev'])).map((e) => e.name)).toEqual(['lattice-cluster2', 'dev']);
    expect((await loadEnvironments(undefined, ['lattice', 'lattice-cluster1'])).map((e) => e.name)).toEqual(['lattice-cluster1', 'lattice-cluster2']);
    expect((await loadEnvironment('lattice-cluster1')).cluster.name).toBe('lattice-eks-1');
  });

  it('refuses an unknown unit, one environment for a whole multi-cluster file, a unit named like another file', async () => {
    await expect(loadEnvironments(undefined, ['lattice-cluster3'])).rejects.toThrow(
      /^unknown environment "lattice-cluster3" \(known: dev, lab, lattice, prod, staging, urlshort; lattice: lattice-cluster1, lattice-cluster2\)$/,
    );
    await expect(loadEnvironment('lattice')).rejects.toThrow(/^environment lattice has 2 clusters; name one: lattice-cluster1, lattice-cluster2$/);
    const dir = environmentsDir('lattice-cluster1', JSON.stringify({ ...dev, name: 'lattice-cluster1' }));
    writeFileSync(join(dir, 'lattice.ts'), `export default ${JSON.stringify(input())};\n`);
    await expect(loadEnvironments(dir)).rejects.toThrow(
      /^environment lattice: clusters\[0\]\.name: the unit lattice-cluster1 has the name of .*lattice-cluster1\.ts; rename the cluster or that file$/,
    );
  });

  it('refuses a vpcLattice block in a single-cluster environment', async () => {
    const dir = environmentsDir('dev', JSON.stringify({ ...dev, vpcLattice: {} }));
    await expect(loadEnvironments(dir)).rejects.toThrow(
      /^environment dev: vpcLattice: is derived from a multi-cluster environment's lattice block and crossClusterFlows \(docs\/multi-cluster\.md\); remove it$/,
    );
  });
});

describe('pnpm synth on a bad multi-cluster file', () => {
  // The issue's three: exit 1, one line, the output directory untouched.
  it.each(REFUSED.slice(0, 5).map(([what, , line]) => [what, line] as const))('%s: exit 1, one line, output untouched', async (what, line) => {
    const file = input();
    REFUSED.find(([w]) => w === what)![1](file);
    const envDir = environmentsDir('lattice', JSON.stringify(file));
    const out = tempDir('zt-out-');
    cpSync(join(REPO, 'dist', 'dev'), join(out, 'dev'), { recursive: true });
    const before = readTree(out);
    const io = captureIo();
    expect(await synth(['--environments', envDir, '--out', out], io)).toBe(1);
    expect(io.lines).toEqual({ out: [], err: [`error: ${line}`] });
    expect(readTree(out)).toEqual(before);
  });
});
