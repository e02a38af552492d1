/**
 * networking.k8s.io/v1 NetworkPolicy semantics, one case per rule of the Kubernetes
 * documentation (concepts/services-networking/network-policies), with the expected connections
 * written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { deploy, namespace, podLines, policy, reach } from '../support/analysis';

const ALL = 'All Connections';
const EVERYWHERE = '0.0.0.0-255.255.255.255';

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
      { kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { app: 'p' } }, spec: { containers: [] } },
      { kind: 'StatefulSet', metadata: { name: 'ss', namespace: 'n' }, spec: { template: tpl('ss') } },
      { kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'n' }, spec: { template: tpl('ds') } },
      { kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'n' }, spec: { template: tpl('rs') } },
      { kind: 'ReplicationController', metadata: { name: 'rc', namespace: 'n' }, spec: { template: tpl('rc') } },
      { kind: 'Job', metadata: { name: 'job', namespace: 'n' }, spec: { template: tpl('job') } },
      { kind: 'CronJob', metadata: { name: 'cron', namespace: 'n' }, spec: { jobTemplate: { spec: { template: tpl('cron') } } } },
      { kind: 'Service', metadata: { name: 'ignored', namespace: 'n' }, spec: {} },
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
      kind: 'Pod',
      metadata: { name, labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, controller: true, uid: 'u' }] },
      spec: { containers: [] },
    });
    const rs = {
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
