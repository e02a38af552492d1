/**
 * networking.k8s.io/v1 NetworkPolicy semantics, one case per rule of the Kubernetes
 * documentation (concepts/services-networking/network-policies), with the expected connections
 * written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../analysis/analyze';
import { connectionLines, formatText } from '../../analysis/format';
import { buildCluster } from '../../analysis/model';
import { parseManifestText } from '../../analysis/read';
import { deploy, namespace, podLines, policy, reach } from '../support/analysis';

const ALL = 'All Connections';
const EVERYWHERE = '0.0.0.0-255.255.255.255';

/** Lines between workloads, and the objects left out (`source: message`), for a manifest text as `pnpm reach` reads it. */
function reachText(text: string, file = 'dump.yaml'): { lines: string[]; issues: string[] } {
  const issues: string[] = [];
  const cluster = buildCluster(parseManifestText(file, text), { onIssue: (i) => issues.push(`${i.source}: ${i.message}`) });
  const out = formatText(connectionLines(analyze(cluster)));
  return { lines: out ? out.split('\n').filter((l) => !/^\d/.test(l) && !/=> \d/.test(l)) : [], issues };
}

/** A live pod as the API returns it (`owner`: its controller reference). */
function livePod(ns: string, name: string, labels: Record<string, string>, owner?: { kind: string; name: string; apiVersion?: string; controller?: boolean }) {
  const ref = owner && { apiVersion: owner.apiVersion ?? 'apps/v1', kind: owner.kind, name: owner.name, uid: 'u', controller: owner.controller ?? true };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels, ...(ref ? { ownerReferences: [ref] } : {}) },
    spec: { containers: [{ name: 'c', image: 'x:1' }] },
    status: { phase: 'Running', podIP: '10.1.0.1' },
  };
}

describe('isolation', () => {
  it('pods selected by no policy are open in both directions, to each other and the outside, never to themselves', () => {
    expect(reach([deploy('a', 'x'), deploy('a', 'y')])).toEqual([
      `${EVERYWHERE} => a/x[Deployment] : ${ALL}`,
      `${EVERYWHERE} => a/y[Deployment] : ${ALL}`,
      `a/x[Deployment] => ${EVERYWHERE} : ${ALL}`,
      `a/x[Deployment] => a/y[Deployment] : ${ALL}`,
      `a/y[Deployment] => ${EVERYWHERE} : ${ALL}`,
      `a/y[Deployment] => a/x[Deployment] : ${ALL}`,
    ]);
  });

  it('a default-deny ingress policy isolates ingress only: egress from the pods stays open', () => {
    const lines = reach([deploy('a', 'x'), deploy('a', 'y'), policy('a', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })]);
    expect(lines).toEqual([`a/x[Deployment] => ${EVERYWHERE} : ${ALL}`, `a/y[Deployment] => ${EVERYWHERE} : ${ALL}`]);
  });

  it('a policy in another namespace does not select pods of this one', () => {
    const lines = podLines([deploy('a', 'x'), deploy('b', 'y'), policy('b', 'deny', { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Ingress'] })]);
    expect(lines).toEqual([`a/x[Deployment] => b/y[Deployment] : ${ALL}`, `b/y[Deployment] => a/x[Deployment] : ${ALL}`]);
  });

  it('egress allowed but ingress denied: no connection (both sides must allow)', () => {
    const lines = podLines([
      deploy('a', 'x'),
      deploy('a', 'y'),
      policy('a', 'x-egress', {
        podSelector: { matchLabels: { app: 'x' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'y' } } }] }],
      }),
      policy('a', 'y-deny', { podSelector: { matchLabels: { app: 'y' } }, policyTypes: ['Ingress'] }),
    ]);
    expect(lines).toEqual([`a/y[Deployment] => a/x[Deployment] : ${ALL}`]);
  });

  it('the connection is the intersection of what egress and ingress allow', () => {
    const lines = podLines([
      deploy('a', 'x'),
      deploy('a', 'y'),
      policy('a', 'x-egress', { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 80 }, { port: 443 }] }] }),
      policy('a', 'y-ingress', { podSelector: { matchLabels: { app: 'y' } }, ingress: [{ ports: [{ port: 443 }, { port: 8080 }] }] }),
    ]);
    // y has no egress policy and x no ingress policy: the reverse direction is open.
    expect(lines).toEqual([`a/x[Deployment] => a/y[Deployment] : TCP 443`, `a/y[Deployment] => a/x[Deployment] : ${ALL}`]);
  });

  it('policies are additive: the union of every policy selecting a pod', () => {
    const lines = podLines([
      deploy('a', 'x'),
      deploy('a', 'y'),
      policy('a', 'p1', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
      policy('a', 'p2', { podSelector: { matchLabels: { app: 'y' } }, ingress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }),
    ]);
    expect(lines).toEqual(['a/x[Deployment] => a/y[Deployment] : TCP 80,UDP 53', 'a/y[Deployment] => a/x[Deployment] : TCP 80']);
  });
});

describe('policyTypes', () => {
  it('omitted with only egress rules: both Ingress and Egress (ingress is denied)', () => {
    const objs = [deploy('a', 'x'), deploy('a', 'y'), policy('a', 'p', { podSelector: { matchLabels: { app: 'x' } }, egress: [{ ports: [{ port: 80 }] }] })];
    expect(reach(objs)).toEqual([
      `${EVERYWHERE} => a/y[Deployment] : ${ALL}`,
      `a/x[Deployment] => ${EVERYWHERE} : TCP 80`,
      'a/x[Deployment] => a/y[Deployment] : TCP 80',
      `a/y[Deployment] => ${EVERYWHERE} : ${ALL}`,
    ]);
  });

  it('explicit Egress only: ingress stays open', () => {
    const objs = [
      deploy('a', 'x'),
      deploy('a', 'y'),
      policy('a', 'p', { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 80 }] }] }),
    ];
    expect(podLines(objs)).toEqual(['a/x[Deployment] => a/y[Deployment] : TCP 80', `a/y[Deployment] => a/x[Deployment] : ${ALL}`]);
  });

  it('explicit Ingress only: egress rules in the same policy are ignored', () => {
    const objs = [
      deploy('a', 'x'),
      deploy('a', 'y'),
      policy('a', 'p', { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Ingress'], ingress: [{}], egress: [{ ports: [{ port: 80 }] }] }),
    ];
    expect(podLines(objs)).toEqual([`a/x[Deployment] => a/y[Deployment] : ${ALL}`, `a/y[Deployment] => a/x[Deployment] : ${ALL}`]);
  });

  it('omitted with an empty egress list: Ingress only', () => {
    const objs = [deploy('a', 'x'), deploy('a', 'y'), policy('a', 'p', { podSelector: { matchLabels: { app: 'x' } }, ingress: [{}], egress: [] })];
    expect(podLines(objs)).toEqual([`a/x[Deployment] => a/y[Deployment] : ${ALL}`, `a/y[Deployment] => a/x[Deployment] : ${ALL}`]);
  });

  it('an empty rule ({}) allows everything; an empty rule list allows nothing', () => {
    const open = [deploy('a', 'x'), deploy('a', 'y'), policy('a', 'p', { podSelector: {}, ingress: [{}] })];
    expect(podLines(open)).toEqual([`a/x[Deployment] => a/y[Deployment] : ${ALL}`, `a/y[Deployment] => a/x[Deployment] : ${ALL}`]);
    const closed = [deploy('a', 'x'), deploy('a', 'y'), policy('a', 'p', { podSelector: {}, ingress: [] })];
    expect(podLines(closed)).toEqual([]);
  });
});

describe('peers', () => {
  const world = () => [
    namespace('a', { team: 'red' }),
    namespace('b', { team: 'blue' }),
    deploy('a', 'server', { app: 'server' }),
    deploy('a', 'client', { app: 'client' }),
    deploy('b', 'client', { app: 'client' }),
    deploy('b', 'other', { app: 'other' }),
  ];
  const intoServer = (from: unknown[]) =>
    policy('a', 'server', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from, ports: [{ port: 80 }] }] });
  const sourcesOfServer = (objs: unknown[]) =>
    podLines(objs)
      .filter((l) => l.includes('=> a/server') && l.endsWith(': TCP 80'))
      .map((l) => l.split(' => ')[0]);

  it('podSelector alone: pods of the policy namespace only', () => {
    expect(sourcesOfServer([...world(), intoServer([{ podSelector: { matchLabels: { app: 'client' } } }])])).toEqual(['a/client[Deployment]']);
  });

  it('podSelector {} alone: every pod of the policy namespace', () => {
    expect(sourcesOfServer([...world(), intoServer([{ podSelector: {} }])])).toEqual(['a/client[Deployment]']);
  });

  it('namespaceSelector {} vs absent: all namespaces vs the policy namespace', () => {
    expect(sourcesOfServer([...world(), intoServer([{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } }])])).toEqual([
      'a/client[Deployment]',
      'b/client[Deployment]',
    ]);
    expect(sourcesOfServer([...world(), intoServer([{ namespaceSelector: {} }])])).toEqual([
      'a/client[Deployment]',
      'b/client[Deployment]',
      'b/other[Deployment]',
    ]);
  });

  it('namespaceSelector and podSelector in one peer: AND', () => {
    const peer = { namespaceSelector: { matchLabels: { team: 'blue' } }, podSelector: { matchLabels: { app: 'client' } } };
    expect(sourcesOfServer([...world(), intoServer([peer])])).toEqual(['b/client[Deployment]']);
  });

  it('namespaceSelector and podSelector in separate peers: OR', () => {
    const peers = [{ namespaceSelector: { matchLabels: { team: 'blue' } } }, { podSelector: { matchLabels: { app: 'client' } } }];
    expect(sourcesOfServer([...world(), intoServer(peers)])).toEqual(['a/client[Deployment]', 'b/client[Deployment]', 'b/other[Deployment]']);
  });

  it('kubernetes.io/metadata.name is implied on declared namespaces and on referenced, undeclared ones', () => {
    const objs = [deploy('a', 'server', { app: 'server' }), deploy('c', 'client', { app: 'client' })];
    const peer = (ns: string) => [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }];
    expect(sourcesOfServer([...objs, intoServer(peer('c'))])).toEqual(['c/client[Deployment]']);
    // An undeclared namespace has no other label.
    expect(sourcesOfServer([...objs, intoServer([{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }])])).toEqual([]);
  });

  it.each([
    ['In', { key: 'app', operator: 'In', values: ['client', 'other'] }, ['a/client[Deployment]', 'b/client[Deployment]', 'b/other[Deployment]']],
    [
      'NotIn (a pod without the key is not in)',
      { key: 'tier', operator: 'NotIn', values: ['db'] },
      ['a/client[Deployment]', 'b/client[Deployment]', 'b/other[Deployment]'],
    ],
    ['NotIn', { key: 'app', operator: 'NotIn', values: ['client'] }, ['b/other[Deployment]']],
    ['Exists', { key: 'tier', operator: 'Exists' }, ['b/other[Deployment]']],
    ['DoesNotExist', { key: 'tier', operator: 'DoesNotExist' }, ['a/client[Deployment]', 'b/client[Deployment]']],
  ])('matchExpressions %s', (_, expr, expected) => {
    const objs = [...world().filter((o) => !(o.kind === 'Deployment' && o.metadata.name === 'other')), deploy('b', 'other', { app: 'other', tier: 'web' })];
    expect(sourcesOfServer([...objs, intoServer([{ namespaceSelector: {}, podSelector: { matchExpressions: [expr] } }])])).toEqual(expected);
  });

  it('matchLabels and matchExpressions together: AND', () => {
    const sel = { matchLabels: { app: 'client' }, matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['b'] }] };
    expect(sourcesOfServer([...world(), intoServer([{ namespaceSelector: sel }])])).toEqual([]);
    expect(
      sourcesOfServer([
        ...world(),
        intoServer([{ namespaceSelector: { matchExpressions: sel.matchExpressions }, podSelector: { matchLabels: sel.matchLabels } }]),
      ]),
    ).toEqual(['b/client[Deployment]']);
  });
});

describe('ipBlock', () => {
  it('with except: the address space is split at every boundary, ranges comma-joined per peer and connection', () => {
    const objs = [
      deploy('a', 'x'),
      policy('a', 'p', {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 443 }] }],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }],
      }),
    ];
    expect(reach(objs)).toEqual([
      '10.0.0.0-10.0.255.255,10.2.0.0-10.255.255.255 => a/x[Deployment] : TCP 443',
      `a/x[Deployment] => 0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255 : ${ALL}`,
    ]);
  });

  it('a pod open to the outside lists every range of the split, comma-joined', () => {
    const objs = [
      deploy('a', 'x'),
      deploy('b', 'y'),
      policy('b', 'p', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '192.168.1.7/32' } }] }] }),
    ];
    expect(reach(objs).filter((l) => l.startsWith('a/x') && / => \d/.test(l))).toEqual([
      `a/x[Deployment] => 0.0.0.0-192.168.1.6,192.168.1.7-192.168.1.7,192.168.1.8-255.255.255.255 : ${ALL}`,
    ]);
    expect(reach(objs).filter((l) => l.startsWith('b/y'))).toEqual(['b/y[Deployment] => 192.168.1.7-192.168.1.7 : All Connections']);
  });

  it('ipBlocks do not match pods (manifests carry no pod IPs), so a pod-to-pod egress needs a selector', () => {
    const objs = [
      deploy('a', 'x'),
      deploy('a', 'y'),
      policy('a', 'p', { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }),
    ];
    expect(podLines(objs)).toEqual([`a/y[Deployment] => a/x[Deployment] : ${ALL}`]);
  });
});

describe('ports', () => {
  const server = (ns: string, name: string, ports: { name: string; containerPort: number; protocol?: string }[]) =>
    deploy(ns, name, { role: 'server', app: name }, ports);

  it('a named port resolves per destination pod: the same name, different numbers on two pods', () => {
    const objs = [
      deploy('a', 'client', { app: 'client' }),
      server('a', 's1', [{ name: 'web', containerPort: 8080 }]),
      server('a', 's2', [
        { name: 'web', containerPort: 9090 },
        { name: 'metrics', containerPort: 9100 },
      ]),
      server('a', 's3', [{ name: 'other', containerPort: 80 }]),
      policy('a', 'p', {
        podSelector: { matchLabels: { role: 'server' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'web' }] }],
      }),
    ];
    expect(podLines(objs).filter((l) => l.startsWith('a/client'))).toEqual([
      'a/client[Deployment] => a/s1[Deployment] : TCP 8080',
      'a/client[Deployment] => a/s2[Deployment] : TCP 9090',
    ]);
  });

  it('a named port in an egress rule resolves on the destination, and matches its protocol', () => {
    const objs = [
      deploy('a', 'client', { app: 'client' }),
      server('a', 'dns', [
        { name: 'dns', containerPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
      ]),
      policy('a', 'p', {
        podSelector: { matchLabels: { app: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 'dns', protocol: 'UDP' }, { port: 'dns-tcp' }, { port: 'dns' }] }],
      }),
    ];
    // { port: dns } means TCP "dns": the container's dns port is UDP, so it matches nothing.
    expect(reach(objs).filter((l) => l.startsWith('a/client'))).toEqual(['a/client[Deployment] => a/dns[Deployment] : TCP 53,UDP 53']);
  });

  it('endPort ranges, UDP, SCTP and protocol-only entries', () => {
    const objs = [
      deploy('a', 'x'),
      deploy('a', 'y'),
      policy('a', 'p', {
        podSelector: { matchLabels: { app: 'y' } },
        ingress: [{ ports: [{ port: 8000, endPort: 8010 }, { port: 80 }, { port: 8011 }, { protocol: 'UDP', port: 53 }, { protocol: 'SCTP' }] }],
      }),
    ];
    expect(podLines(objs).filter((l) => l.startsWith('a/x'))).toEqual(['a/x[Deployment] => a/y[Deployment] : SCTP 1-65535,TCP 80,TCP 8000-8011,UDP 53']);
  });

  it('all three protocols on every port is All Connections', () => {
    const objs = [
      deploy('a', 'x'),
      deploy('a', 'y'),
      policy('a', 'p', { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }, { protocol: 'SCTP' }] }] }),
    ];
    expect(podLines(objs)).toEqual([`a/x[Deployment] => a/y[Deployment] : ${ALL}`, `a/y[Deployment] => a/x[Deployment] : ${ALL}`]);
  });

  it('a named port never matches an address outside the cluster', () => {
    const objs = [
      deploy('a', 'x', { app: 'x' }, [{ name: 'web', containerPort: 8080 }]),
      policy('a', 'p', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'web' }, { port: 443 }] }] }),
    ];
    expect(reach(objs)).toEqual([`${EVERYWHERE} => a/x[Deployment] : ${ALL}`, `a/x[Deployment] => ${EVERYWHERE} : TCP 443`]);
  });
});

describe('workloads', () => {
  it('every workload kind is a peer, named namespace/name[Kind]', () => {
    const tpl = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
    const objs = [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { app: 'p' } }, spec: { containers: [] } },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'ss', namespace: 'n' }, spec: { template: tpl('ss') } },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'n' }, spec: { template: tpl('ds') } },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'n' }, spec: { template: tpl('rs') } },
      { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc', namespace: 'n' }, spec: { template: tpl('rc') } },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'job', namespace: 'n' }, spec: { template: tpl('job') } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cron', namespace: 'n' }, spec: { jobTemplate: { spec: { template: tpl('cron') } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ignored', namespace: 'n' }, spec: {} },
      policy('n', 'only-cron', { podSelector: { matchLabels: { app: 'cron' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'job' } } }] }] }),
    ];
    const intoCron = podLines(objs).filter((l) => l.includes('=> n/cron'));
    expect(intoCron).toEqual(['n/job[Job] => n/cron[CronJob] : All Connections']);
    const sources = new Set(podLines(objs).map((l) => l.split(' => ')[0]));
    expect([...sources].sort()).toEqual([
      'n/cron[CronJob]',
      'n/ds[DaemonSet]',
      'n/job[Job]',
      'n/p[Pod]',
      'n/rc[ReplicationController]',
      'n/rs[ReplicaSet]',
      'n/ss[StatefulSet]',
    ]);
  });

  it('pods with ownerReferences are grouped under their top-most owner; objects without a namespace are in default', () => {
    const pod = (name: string, owner: { kind: string; name: string }) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, controller: true, uid: 'u' }] },
      spec: { containers: [] },
    });
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-5d9', ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] },
      spec: { template: { metadata: { labels: { app: 'web' } } } },
    };
    const objs = [
      pod('web-5d9-a', { kind: 'ReplicaSet', name: 'web-5d9' }),
      pod('web-5d9-b', { kind: 'ReplicaSet', name: 'web-5d9' }),
      rs,
      pod('orphan-1', { kind: 'ReplicaSet', name: 'api-77f' }),
    ];
    const ids = [...new Set(reach(objs).flatMap((l) => l.split(' : ')[0]!.split(' => ')))].filter((s) => !/^\d/.test(s)).sort();
    expect(ids).toEqual(['default/api-77f[ReplicaSet]', 'default/web[Deployment]']);
  });
});

describe('lists', () => {
  it("a typed list's items omit kind and apiVersion (the API's own PodList): they are the list's", () => {
    const pod = livePod('a', 'web-1', { app: 'web' });
    const bare = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'kind' && k !== 'apiVersion'));
    const podList = {
      apiVersion: 'v1',
      kind: 'PodList',
      metadata: { resourceVersion: '1' },
      items: [bare(pod), bare(livePod('a', 'client', { app: 'client' }))],
    };
    const policyList = {
      kind: 'NetworkPolicyList',
      items: [
        bare(policy('a', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] })),
      ],
    };
    const { lines, issues } = reachText(`${JSON.stringify(podList)}\n---\n${JSON.stringify(policyList)}\n`);
    expect(issues).toEqual([]);
    // The NetworkPolicyList says no apiVersion: its items are networking.k8s.io/v1 NetworkPolicies.
    expect(lines).toEqual([`a/client[Pod] => a/web-1[Pod] : ${ALL}`, `a/web-1[Pod] => a/client[Pod] : ${ALL}`]);
  });

  it('a DeploymentList gives its apiVersion (apps/v1) to its items; an item that names its kind keeps it', () => {
    const objs = parseManifestText(
      'l.yaml',
      'apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: a}\n- {apiVersion: apps/v1, kind: StatefulSet, metadata: {name: b}}\n',
    );
    expect(objs.map((o) => [(o.object as { apiVersion: string }).apiVersion, (o.object as { kind: string }).kind])).toEqual([
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'StatefulSet'],
    ]);
    expect(buildCluster(objs).workloads.map((w) => w.id)).toEqual(['default/a[Deployment]', 'default/b[StatefulSet]']);
  });

  it("kubectl's untyped List: an item without kind is not a Kubernetes object, reported with its file, document and item", () => {
    const { issues } = reachText('apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n- {metadata: {name: b}}\n');
    expect(issues).toEqual(['dump.yaml (document 1) items[1]: not a Kubernetes object (no kind)']);
  });
});

describe('pod ownership', () => {
  it('only workload controllers group pods: a static pod owned by its Node is a workload of its own', () => {
    const objs = [
      livePod(
        'kube-system',
        'kube-apiserver-node-1',
        { component: 'kube-apiserver', tier: 'control-plane' },
        { kind: 'Node', name: 'node-1', apiVersion: 'v1' },
      ),
      livePod(
        'kube-system',
        'kube-apiserver-node-2',
        { component: 'kube-apiserver', tier: 'control-plane' },
        { kind: 'Node', name: 'node-2', apiVersion: 'v1' },
      ),
      livePod('kube-system', 'etcd-node-1', { component: 'etcd', tier: 'control-plane' }, { kind: 'Node', name: 'node-1', apiVersion: 'v1' }),
    ];
    expect(buildCluster(objs.map((object, i) => ({ source: `#${i}`, object }))).workloads.map((w) => w.id)).toEqual([
      'kube-system/etcd-node-1[Pod]',
      'kube-system/kube-apiserver-node-1[Pod]',
      'kube-system/kube-apiserver-node-2[Pod]',
    ]);
  });

  it('a pod controlled by a custom resource is its own workload; a reference that is not the controller groups nothing', () => {
    const objs = [
      livePod('t', 'connector-abc', { app: 'connector' }, { kind: 'TwingateConnector', name: 'connector', apiVersion: 'twingate.com/v1beta' }),
      livePod('t', 'web-1', { app: 'web' }, { kind: 'ReplicaSet', name: 'web-5d9', controller: false }),
      livePod('t', 'api-1', { app: 'api' }, { kind: 'ReplicaSet', name: 'api-77f' }),
      livePod('t', 'api-2', { app: 'api' }, { kind: 'ReplicaSet', name: 'api-77f' }),
      livePod('t', 'job-run-x', { app: 'job' }, { kind: 'Job', name: 'job-run', apiVersion: 'batch/v1' }),
    ];
    expect(buildCluster(objs.map((object, i) => ({ source: `#${i}`, object }))).workloads.map((w) => w.id)).toEqual([
      't/api-77f[ReplicaSet]',
      't/connector-abc[Pod]',
      't/job-run[Job]',
      't/web-1[Pod]',
    ]);
  });

  it('the chain stops at an owner that is no workload controller (a ReplicaSet of an Argo Rollout)', () => {
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-6c8', namespace: 't', ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', controller: true }] },
      spec: { template: { metadata: { labels: { app: 'web' } } } },
    };
    const objs = [rs, livePod('t', 'web-6c8-a', { app: 'web' }, { kind: 'ReplicaSet', name: 'web-6c8' })];
    expect(buildCluster(objs.map((object, i) => ({ source: `#${i}`, object }))).workloads.map((w) => w.id)).toEqual(['t/web-6c8[ReplicaSet]']);
  });
});

describe('endpoint classes', () => {
  it('workloads with the same namespace, labels and ports are analysed once and listed each: they reach each other as the class reaches itself', () => {
    const objs = [
      ...['debug-a', 'debug-b', 'debug-c'].map((n) => livePod('a', n, { run: 'debug' })),
      livePod('a', 'server', { app: 'server' }),
      policy('a', 'server', {
        podSelector: { matchLabels: { app: 'server' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { run: 'debug' } } }], ports: [{ port: 80 }] }],
      }),
      policy('a', 'debug', {
        podSelector: { matchLabels: { run: 'debug' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { run: 'debug' } } }], ports: [{ port: 22 }] }],
      }),
    ];
    expect(podLines(objs)).toEqual([
      'a/debug-a[Pod] => a/debug-b[Pod] : TCP 22',
      'a/debug-a[Pod] => a/debug-c[Pod] : TCP 22',
      'a/debug-a[Pod] => a/server[Pod] : TCP 80',
      'a/debug-b[Pod] => a/debug-a[Pod] : TCP 22',
      'a/debug-b[Pod] => a/debug-c[Pod] : TCP 22',
      'a/debug-b[Pod] => a/server[Pod] : TCP 80',
      'a/debug-c[Pod] => a/debug-a[Pod] : TCP 22',
      'a/debug-c[Pod] => a/debug-b[Pod] : TCP 22',
      'a/debug-c[Pod] => a/server[Pod] : TCP 80',
    ]);
  });

  it('the same labels with different container ports are different classes (named ports resolve per pod)', () => {
    const withPort = (name: string, port: number) => ({
      ...livePod('a', name, { role: 'web' }),
      spec: { containers: [{ name: 'c', image: 'x:1', ports: [{ name: 'http', containerPort: port }] }] },
    });
    const objs = [
      withPort('w1', 8080),
      withPort('w2', 9090),
      livePod('a', 'client', { app: 'client' }),
      policy('a', 'web', {
        podSelector: { matchLabels: { role: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] }],
      }),
    ];
    expect(podLines(objs).filter((l) => l.startsWith('a/client'))).toEqual(['a/client[Pod] => a/w1[Pod] : TCP 8080', 'a/client[Pod] => a/w2[Pod] : TCP 9090']);
  });
});

describe('documents not analysed', () => {
  it('are reported (file, document, what is wrong) instead of silently ignored; the rest is analysed', () => {
    const text = [
      '- just\n- a list',
      'a plain string',
      'name: values.yaml, no kind',
      'kind: Pod\nmetadata: {name: no-api-version}',
      'apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: typo, namespace: a}',
      'apiVersion: v1\nkind: Deployment\nmetadata: {name: wrong-group, namespace: a}',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {version: 1.5}}',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a}\nspec: {template: {spec: {containers: {name: c}}}}',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: a}\nspec: {containers: [{name: c, ports: [{containerPort: "8080"}]}]}',
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: [team]}',
      'apiVersion: v1\nkind: PodList\nitems: {a: 1}',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: good, namespace: a}',
      'apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: custom, namespace: a}',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: a}',
      'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: pdb, namespace: a}',
    ].join('\n---\n');
    const { lines, issues } = reachText(text);
    expect(issues).toEqual([
      'dump.yaml (document 1): not a Kubernetes object (a list)',
      'dump.yaml (document 2): not a Kubernetes object (a string)',
      'dump.yaml (document 3): not a Kubernetes object (no kind)',
      'dump.yaml (document 4): not a Kubernetes object (Pod no-api-version without apiVersion)',
      'dump.yaml (document 5): apps/v1 Deploymnet a/typo: unknown kind (apps serves ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet); not analysed',
      'dump.yaml (document 6): v1 Deployment a/wrong-group: unknown kind (Deployment is apps/v1); not analysed',
      'dump.yaml (document 7): v1 Pod a/p: metadata.labels.version is 1.5, not a string (quote it); not analysed',
      'dump.yaml (document 8): apps/v1 Deployment a/d: spec.template.spec.containers is a map, not a list; not analysed',
      'dump.yaml (document 9): v1 Pod a/q: spec.containers[0].ports[0].containerPort is "8080", not a port number (1-65535); not analysed',
      'dump.yaml (document 10): v1 Namespace n: metadata.labels is a list, not a map; not analysed',
      'dump.yaml (document 11): v1 PodList: items is a map, not a list; not analysed',
    ]);
    // Custom resources, kinds outside the analysis and groups it does not read pass silently.
    expect(buildCluster(parseManifestText('dump.yaml', text)).workloads.map((w) => w.id)).toEqual(['a/good[Pod]']);
    expect(lines).toEqual([]);
  });

  it('a NetworkPolicy field of the wrong type is an error, as the API server rejects it (read as empty it would change what is allowed)', () => {
    const np = (spec: string) => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n${spec}\n`;
    expect(() => reachText(np('spec: {podSelector: {}, ingress: {from: []}}'))).toThrow(
      'dump.yaml (document 1): NetworkPolicy a/p: spec.ingress: is a map, not a list',
    );
    expect(() => reachText(np('spec: [podSelector]'))).toThrow('dump.yaml (document 1): NetworkPolicy a/p: spec: is a list, not a map');
    expect(() => reachText(np('spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: 10.1.0.0/16}}]}]}'))).toThrow(
      'spec.egress[0].to[0].ipBlock.except: is a string, not a list',
    );
  });
});
