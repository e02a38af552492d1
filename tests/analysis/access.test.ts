import { describe, expect, it } from 'vitest';
import { accessFile } from '../../analysis/access';
import { checkIntent } from '../../analysis/intent';
import dev from '../../environments/dev';
import { controlPlaneCidrs } from '../../lib/cluster';
import type { Environment } from '../../lib/environment';
import { loadEnvironment, loadEnvironments } from '../../lib/load';
import { planSubnets } from '../../lib/subnets';
import { renderEnvironment } from '../../lib/synth';
import { type EnvironmentInput, validate } from '../../platform/registry';

const access = (env: Environment) =>
  accessFile(
    env,
    checkIntent(
      env,
      renderEnvironment(env).flatMap((c) => c.objects),
    ),
  );

/**
 * An environment as committed, except that dev leaves Argo CD out: the layout checks below are
 * about the Twingate and whoami flows, and Argo CD's own (tests/platform/argo-cd.test.ts) would
 * only renumber them.
 */
async function render(name: string) {
  return access(name === 'dev' ? withoutArgoCd() : await loadEnvironment(name));
}

function withoutArgoCd(): Environment {
  const r = validate({ ...dev, namespaces: dev.namespaces.filter((n) => n !== 'argocd'), components: dev.components?.filter((c) => c !== 'argo-cd') });
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

/** The lines of one `## section` of the file. */
function section(content: string, title: string): string[] {
  const lines = content.split('\n');
  const start = lines.indexOf(`## ${title}`);
  expect(start, title).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l !== '');
}

/** A table's cells, row by row (header included, separator left out). */
const table = (lines: readonly string[]) =>
  lines
    .filter((l) => l.startsWith('|') && !l.startsWith('| ---'))
    .map((l) =>
      l
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((c) => c.trim()),
    );

/** dev with more flows: from a namespace that only has a modelled pod, from an unnamed CIDR, from a namespace without pods. */
function devWith(flows: NonNullable<EnvironmentInput['flows']>): Environment {
  const r = validate({
    ...dev,
    namespaces: dev.namespaces.filter((n) => n !== 'argocd'),
    components: dev.components?.filter((c) => c !== 'argo-cd'),
    flows: [...(dev.flows ?? []), ...flows],
  });
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

describe('ACCESS.md', () => {
  it('is written per environment, deterministically', async () => {
    const a = await render('prod');
    const b = await render('prod');
    expect(a.path).toBe('prod/ACCESS.md');
    expect(a.content).toBe(b.content);
  });

  it("names the addresses outside the cluster as the environment declares them, never as the analyzer's range lists", async () => {
    // The whoami environments with an infra block (their control-plane subnets are known; lab has none);
    // urlshort (other addresses) has its own test below.
    for (const env of (await loadEnvironments()).filter((e) => e.apps.whoami && e.infra)) {
      const { content } = access(env);
      // No `a.b.c.d-e.f.g.h` range of the analyzer anywhere, and no long part of a cell (one part per flow).
      expect(content, env.name).not.toMatch(/\d+\.\d+\.\d+\.\d+-\d+\.\d+\.\d+\.\d+/);
      const parts = table(section(content, 'Connectivity matrix'))
        .flat()
        .flatMap((c) => c.split('<br>'));
      // The longest part is a workload's name (external-secrets/external-secrets-cert-controller[Deployment]).
      expect(Math.max(...parts.map((c) => c.length)), env.name).toBeLessThanOrEqual(64);
      // The API server's second peer is the control-plane subnets, one per zone, never the VPC.
      const zones = controlPlaneCidrs(env).map((cidr, i) => [
        `EKS control plane (zone ${i + 1})`,
        `${cidr} (control-plane subnet of availability zone ${i + 1}, cut from network.vpcCidr)`,
      ]);
      expect(zones.length, env.name).toBe(env.infra!.availabilityZones);
      // External Secrets reaches AWS through the interface endpoints of the private subnets, and the Pod Identity agent.
      const privateZones = planSubnets(env, env.infra!.availabilityZones)
        .map((z, i) => [
          `private subnet (zone ${i + 1})`,
          `${z.private} (private subnet of availability zone ${i + 1}: nodes, pods, AWS interface endpoints; cut from network.vpcCidr)`,
        ])
        .sort((a, b) => (a[1]! < b[1]! ? -1 : 1));
      expect(table(section(content, 'Addresses outside the cluster')), env.name).toEqual([
        ['name', 'addresses'],
        ['API server (kubernetes Service)', "172.20.0.1/32 (the kubernetes Service's IP, the first host of network.serviceCidr 172.20.0.0/16)"],
        ['EKS Pod Identity agent', '169.254.170.23/32 (the link-local address the agent serves on every node)'],
        ['anywhere', '0.0.0.0/0 (every IPv4 address)'],
        ...zones,
        ['internet', '0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16 (private and link-local ranges)'],
        ...privateZones,
      ]);
      expect(content).not.toContain(env.network.vpcCidr);
    }
  });

  it('names the private subnets and the EKS Pod Identity agent (urlshort: database, SQS, credentials, SPIRE agent to kubelet)', async () => {
    const env = await loadEnvironment('urlshort');
    const content = access(env).content;
    expect(content).not.toMatch(/\d+\.\d+\.\d+\.\d+-\d+\.\d+\.\d+\.\d+/);
    expect(table(section(content, 'Addresses outside the cluster'))).toEqual([
      ['name', 'addresses'],
      ['API server (kubernetes Service)', "172.20.0.1/32 (the kubernetes Service's IP, the first host of network.serviceCidr 172.20.0.0/16)"],
      ['EKS Pod Identity agent', '169.254.170.23/32 (the link-local address the agent serves on every node)'],
      ['VPC', '10.0.0.0/16 (network.vpcCidr)'],
      ['anywhere', '0.0.0.0/0 (every IPv4 address)'],
      ['EKS control plane (zone 1)', '10.0.224.0/22 (control-plane subnet of availability zone 1, cut from network.vpcCidr)'],
      ['EKS control plane (zone 2)', '10.0.228.0/22 (control-plane subnet of availability zone 2, cut from network.vpcCidr)'],
      ['internet', '0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (private ranges)'],
      ['private subnet (zone 1)', '10.0.0.0/18 (private subnet of availability zone 1: nodes, pods, AWS interface endpoints; cut from network.vpcCidr)'],
      ['private subnet (zone 2)', '10.0.64.0/18 (private subnet of availability zone 2: nodes, pods, AWS interface endpoints; cut from network.vpcCidr)'],
    ]);
    // The agent's kubelet flow (neither end owned) is in the matrix too.
    const rows = table(section(content, 'Connectivity matrix'));
    const agent = rows.find((r) => r[0] === 'spire-system/spire-agent[DaemonSet]')!;
    expect(agent[rows[0]!.indexOf('private subnet 10.0.0.0/18')]).toMatch(/^TCP 10250 \[\d+\]\(#flow-\d+\)$/);
  });

  it('shows the workload identity layer: SPIFFE IDs, mTLS with the network flow that carries it, AWS roles', async () => {
    const env = await loadEnvironment('urlshort');
    const content = access(env).content;
    expect(table(section(content, 'Workload identity')).slice(0, 4)).toEqual([
      ['workload', 'ServiceAccount', 'authenticated as (SPIFFE ID)', 'AWS role (EKS Pod Identity)'],
      ['services/api-gateway', 'services/api-gateway', '`spiffe://mol.la/ns/services/sa/api-gateway`', 'none'],
      ['services/url-service', 'services/url-service', '`spiffe://mol.la/ns/services/sa/url-service`', 'none'],
      ['services/worker', 'services/worker', '`spiffe://mol.la/ns/services/sa/worker`', '`urlshort-app-worker`'],
    ]);
    const flow = env.flows.findIndex((f) => f.from === 'services/api-gateway' && f.to === 'services/url-service') + 1;
    expect(content).toContain(
      `| \`spiffe://mol.la/ns/services/sa/api-gateway\` | \`spiffe://mol.la/ns/services/sa/url-service\` | TCP 8443 (mtls) | [${flow}](#flow-${flow}) | url-service accepts only the API gateway |`,
    );
    expect(content).toContain(
      '| services/worker | `urlshort-app-worker` | sqs:DeleteMessage, sqs:GetQueueAttributes, sqs:ReceiveMessage | `arn:aws:sqs:us-east-1:111122223333:urlshort-clicks` |',
    );
    // Environments without workload identity or AWS access have no such section.
    expect(access(await loadEnvironment('dev')).content).not.toContain('## Workload identity');
  });

  it('numbers the declared flows with ends, port, what for and who declared them; the implicit DNS flow last', async () => {
    const env = withoutArgoCd();
    const rows = table(section(access(env).content, 'Declared flows'));
    expect(rows[0]).toEqual(['#', 'from', 'to', 'port', 'what for', 'declared by']);
    expect(rows).toHaveLength(1 + env.flows.length + 1);
    expect(rows[1]).toEqual([
      '<a id="flow-1"></a>1',
      'twingate/connector (twingate/connector[Pod])',
      'whoami/whoami (whoami/whoami[Deployment])',
      'TCP 8080 (http)',
      'people reach whoami through Twingate',
      'environment',
    ]);
    expect(rows).toContainEqual([
      '<a id="flow-28"></a>28',
      'twingate/connector (twingate/connector[Pod])',
      'internet: 0.0.0.0/0 except private ranges',
      'TCP 30000-31000',
      'connector to Twingate relays',
      'component twingate-operator',
    ]);
    expect(rows).toContainEqual([
      '<a id="flow-35"></a>35',
      'twingate/gateway (twingate/twingate-gateway[Deployment])',
      'control plane 10.10.224.0/22',
      'TCP 443',
      'access gateway to the Kubernetes API server',
      'component twingate-access-gateway',
    ]);
    expect(rows).toContainEqual([
      '<a id="flow-34"></a>34',
      'twingate/gateway (twingate/twingate-gateway[Deployment])',
      'API server 172.20.0.1/32',
      'TCP 443',
      'access gateway to the Kubernetes API server',
      'component twingate-access-gateway',
    ]);
    expect(rows.at(-1)).toEqual([
      '<a id="flow-38"></a>38',
      'twingate/*, whoami/*, cert-manager/*, external-secrets/*',
      'kube-system/coredns (kube-system/coredns[Deployment])',
      'TCP 53, UDP 53',
      'DNS, implicit for every namespace the platform owns',
      'platform',
    ]);
  });

  it('has the connectivity matrix with named columns, each part of a cell linked to the flow that declares it', async () => {
    const all = table(section((await render('dev')).content, 'Connectivity matrix'));
    // The Twingate and whoami part (tests/platform/cert-manager.test.ts and external-secrets.test.ts check the prerequisites' flows).
    const columns = [
      'from \\ to',
      'kube-system/coredns[Deployment]',
      'twingate/twingate-gateway[Deployment]',
      'whoami/whoami[Deployment]',
      'API server 172.20.0.1/32',
      'control plane 10.10.224.0/22',
      'control plane 10.10.228.0/22',
      'internet: 0.0.0.0/0 except private ranges',
    ].map((c) => all[0]!.indexOf(c));
    expect(columns).not.toContain(-1);
    // Rows of the prerequisites' pods, and of the control plane calling their webhooks, left out.
    const rows = all.filter((r) => !/^(cert-manager|external-secrets)\/|^control plane /.test(r[0]!)).map((r) => columns.map((i) => r[i]!));
    expect(all[0]).toContain('cert-manager/cert-manager-webhook[Deployment]');
    expect(rows[0]).toEqual([
      'from \\ to',
      'kube-system/coredns[Deployment]',
      'twingate/twingate-gateway[Deployment]',
      'whoami/whoami[Deployment]',
      'API server 172.20.0.1/32',
      'control plane 10.10.224.0/22',
      'control plane 10.10.228.0/22',
      'internet: 0.0.0.0/0 except private ranges',
    ]);
    expect(rows.slice(1)).toEqual([
      ['twingate/*', 'TCP 53, UDP 53 [38](#flow-38)', '', '', '', '', '', ''],
      [
        'twingate/connector[Pod]',
        '',
        'TCP 8443 [33](#flow-33)',
        'TCP 8080 [1](#flow-1)',
        '',
        '',
        '',
        'TCP 443 [27](#flow-27)<br>TCP 30000-31000 [28](#flow-28)',
      ],
      [
        'twingate/twingate-gateway[Deployment]',
        '',
        '',
        '',
        'TCP 443 [34](#flow-34)',
        'TCP 443 [35](#flow-35)',
        'TCP 443 [36](#flow-36)',
        'TCP 443 [37](#flow-37)',
      ],
      [
        'twingate/twingate-operator[Deployment]',
        '',
        '',
        '',
        'TCP 443 [29](#flow-29)',
        'TCP 443 [30](#flow-30)',
        'TCP 443 [31](#flow-31)',
        'TCP 443 [32](#flow-32)',
      ],
      ['whoami/*', 'TCP 53, UDP 53 [38](#flow-38)', '', '', '', '', '', ''],
    ]);
  });

  it('every flow a cell links to has its anchor, and every flow with connections is linked from a cell', async () => {
    for (const env of await loadEnvironments()) {
      const { content } = access(env);
      const anchors = [...content.matchAll(/<a id="flow-(\d+)"><\/a>/g)].map((m) => Number(m[1]));
      expect(anchors, env.name).toEqual(Array.from({ length: env.flows.length + 1 }, (_, i) => i + 1));
      const linked = new Set(
        [
          ...section(content, 'Connectivity matrix')
            .join('\n')
            .matchAll(/\]\(#flow-(\d+)\)/g),
        ].map((m) => Number(m[1])),
      );
      expect(
        [...linked].sort((a, b) => a - b),
        env.name,
      ).toEqual(anchors);
    }
  });

  it('shows a namespace-wide flow as the namespace, not the pod modelled there; a flow no pod can prove says so', () => {
    const env = devWith([
      { from: 'kube-system/*', to: 'whoami/whoami', port: 'http', description: 'metrics scraping' },
      { from: { cidr: '203.0.113.0/24', except: [] }, to: 'whoami/whoami', port: 8080, description: 'partner office' },
      { from: 'monitoring/*', to: 'whoami/whoami', port: 9090, description: 'alerts' },
    ]);
    const { content } = access(env);
    const rows = table(section(content, 'Connectivity matrix'));
    const whoami = rows[0]!.indexOf('whoami/whoami[Deployment]');
    const row = (from: string) => rows.find((r) => r[0] === from);
    expect(row('kube-system/*')?.[whoami]).toBe('TCP 8080 [2](#flow-2)');
    // kube-dns is modelled as kube-system/coredns; the namespace-wide flow is not shown as its.
    expect(row('kube-system/coredns[Deployment]')).toBeUndefined();
    // An address without a name in the environment is its CIDR, after the in-cluster rows.
    const cells = row('203.0.113.0/24')!;
    // After the in-cluster rows (with the control plane's, which calls the webhooks).
    expect(rows.indexOf(cells)).toBeGreaterThan(rows.findIndex((r) => r[0] === 'whoami/whoami[Deployment]'));
    expect(cells.filter((c) => c !== '')).toEqual(['203.0.113.0/24', 'TCP 8080 [3](#flow-3)']);
    expect(cells[whoami]).toBe('TCP 8080 [3](#flow-3)');
    expect(table(section(content, 'Declared flows'))[4]).toEqual([
      '<a id="flow-4"></a>4',
      'monitoring/*',
      'whoami/whoami (whoami/whoami[Deployment])',
      'TCP 9090',
      'alerts _(no rendered or modelled pod on one side: nothing in the matrix)_',
      'environment',
    ]);
    const chart = section(content, 'Allowed flows').join('\n');
    expect(chart).toMatch(/ {2}subgraph ns\d+\["namespace kube-system"\]\n {4}(n\d+)\["every pod"\]\n {4}n\d+\["coredns\[Deployment\]"\]\n {2}end/);
  });

  it('has a readable Mermaid flowchart: namespaces as subgraphs, the named outside addresses as nodes, edges labelled with their flows', async () => {
    const chart = section((await render('dev')).content, 'Allowed flows');
    expect(chart[0]).toBe('```mermaid');
    expect(chart).toContain('  subgraph ns0["namespace cert-manager"]');
    expect(chart).toContain('  subgraph ns3["namespace twingate"]');
    expect(chart).toContain('  subgraph ns4["namespace whoami"]');
    expect(chart).toContain('  subgraph outside["outside the cluster"]');
    expect(chart).toContain('    n19["internet: 0.0.0.0/0 except private ranges"]');
    expect(chart).toContain('    n16["Pod Identity agent 169.254.170.23/32"]');
    expect(chart).toContain('  n10 -->|"TCP 443, TCP 30000-31000 (flows 27, 28)"| n19');
    expect(chart).toContain('  n10 -->|"TCP 8080 (flow 1)"| n14');
    expect(chart.filter((l) => l.includes('-->'))).toHaveLength(40);
    // One node per label, never longer than a named address.
    const nodes = chart.filter((l) => /^ +n\d+\["/.test(l));
    expect(nodes).toHaveLength(22);
    expect(Math.max(...nodes.map((l) => l.length))).toBeLessThanOrEqual(60);
  });

  it('sorts by code units, not the locale: upper case first', async () => {
    const names = table(section((await render('staging')).content, 'Addresses outside the cluster'))
      .slice(1)
      .map((r) => r[0]);
    // By the label shown in the matrix: `API server`, `Pod Identity agent`, `anywhere`, `control plane`, `internet`, `private subnet`
    // (whose CIDRs sort as text: 10.15.128.0/18 before 10.15.64.0/18).
    expect(names).toEqual([
      'API server (kubernetes Service)',
      'EKS Pod Identity agent',
      'anywhere',
      'EKS control plane (zone 1)',
      'EKS control plane (zone 2)',
      'EKS control plane (zone 3)',
      'internet',
      'private subnet (zone 1)',
      'private subnet (zone 3)',
      'private subnet (zone 2)',
    ]);
  });

  it('has the identity view: group -> resources -> roles via the access gateway, cluster-wide ones flagged', async () => {
    const lines = (await render('prod')).content.split('\n');
    expect(lines).toContain('| Engineering | whoami (whoami/whoami) | view in whoami | none |');
    expect(lines).toContain('| SRE On-Call | whoami (whoami/whoami) | edit in whoami | none |');
    expect(lines).toContain('| Platform Admins | whoami (whoami/whoami) | admin in whoami | **view, cluster-wide** |');
    expect(lines).toContain('  g2 -->|access gateway| k_edit["ClusterRole edit"]');
  });

  it('shows a declared group without an access row as reaching nothing', async () => {
    const env = await loadEnvironment('dev');
    const file = accessFile(
      { ...env, groups: [...env.groups, 'Contractors'] },
      checkIntent(
        env,
        renderEnvironment(env).flatMap((c) => c.objects),
      ),
    );
    const rows = file.content.split('\n').filter((l) => /^\| (Contractors|Engineering|Platform Admins) \|/.test(l));
    expect(rows).toEqual([
      '| Contractors | none | none | none |',
      '| Engineering | whoami (whoami/whoami) | edit in whoami | none |',
      '| Platform Admins | whoami (whoami/whoami) | admin in whoami | **cluster-admin (break-glass)** |',
    ]);
  });

  it('lists the blocked paths it proved closed, outside addresses by name', async () => {
    const rows = table(section((await render('staging')).content, 'Blocked paths (proven closed)'));
    expect(rows).toContainEqual(['whoami/whoami', 'twingate/connector', 'apps never call back into the access path']);
    expect(rows).toContainEqual(['whoami/whoami', 'anywhere 0.0.0.0/0', 'whoami has no egress beyond DNS']);
  });

  it('shows the cross-cluster calls of a multi-cluster unit: each route with its backend and allowed callers, the network flows beside them', async () => {
    const flowNo = (env: Environment, match: (f: Environment['flows'][number]) => boolean) => env.flows.findIndex(match) + 1;
    const lattice = (p: unknown) => typeof p === 'object' && (p as { cidr: string }).cidr === '169.254.171.0/24';
    for (const [name, self, peer, eks, peerEks] of [
      ['lattice-cluster1', 'app1', 'app2', 'lattice-eks-1', 'lattice-eks-2'],
      ['lattice-cluster2', 'app2', 'app1', 'lattice-eks-2', 'lattice-eks-1'],
    ] as const) {
      const env = await loadEnvironment(name);
      const [cluster, other] = name === 'lattice-cluster1' ? ['cluster1', 'cluster2'] : ['cluster2', 'cluster1'];
      const inFrom = flowNo(env, (f) => lattice(f.from) && f.to === `apps/${self}`);
      const out = flowNo(env, (f) => f.from === `apps/${self}` && lattice(f.to));
      const agent = flowNo(env, (f) => f.from === `apps/${self}` && typeof f.to === 'object' && f.to.cidr === '169.254.170.23/32');
      expect(
        [inFrom, out, agent].every((n) => n > 0),
        name,
      ).toBe(true);
      const lines = section((await render(name)).content, 'Cross-cluster (VPC Lattice)');
      expect(lines[0]).toBe(
        `Cluster \`${cluster}\` of the multi-cluster environment \`lattice\`, in service network \`zt-lattice\` (private domain \`lattice.zt.internal\`).`,
      );
      expect(table(lines)).toEqual([
        ['route (hostname)', 'backend (cluster:namespace/app)', 'allowed callers (IAM: cluster, namespace, service account)', 'network (this cluster)'],
        [
          `\`${self}.lattice.zt.internal\``,
          `${cluster}:apps/${self} port 80`,
          `${other} (EKS \`${peerEks}\`), apps, ${peer}`,
          `in from VPC Lattice: [${inFrom}](#flow-${inFrom})`,
        ],
        ['service', 'port', 'network (this cluster)'],
        [`${cluster}:apps/${self}`, 'http (Service port 80)', `in from VPC Lattice: [${inFrom}](#flow-${inFrom})`],
        ['caller', 'signs as (IAM: cluster, namespace, service account)', 'calls', 'network (this cluster)'],
        [
          `${cluster}:apps/${self}`,
          `${cluster} (EKS \`${eks}\`), apps, ${self}`,
          `\`${peer}.lattice.zt.internal\``,
          `out to VPC Lattice: [${out}](#flow-${out}); credentials: [${agent}](#flow-${agent})`,
        ],
      ]);
      expect(table(section((await render(name)).content, 'Addresses outside the cluster'))).toContainEqual([
        'VPC Lattice data plane',
        '169.254.171.0/24 (the link-local range VPC Lattice services answer on and forward from)',
      ]);
    }
    for (const env of (await loadEnvironments()).filter((e) => !e.name.startsWith('lattice-'))) {
      expect(access(env).content, env.name).not.toContain('## Cross-cluster');
    }
  });
});
