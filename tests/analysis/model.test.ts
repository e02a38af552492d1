import { describe, expect, it } from 'vitest';
import { buildCluster } from '../../analysis/model';
import { parseManifestText } from '../../analysis/read';

const build = (yaml: string) => buildCluster(parseManifestText('m.yaml', yaml));

describe('cluster model', () => {
  it('namespaces: declared labels plus the implied name label; referenced ones get only that', () => {
    const c = build(
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {team: red}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: b}\n',
    );
    expect(Object.fromEntries(c.namespaces)).toEqual({ a: { team: 'red', 'kubernetes.io/metadata.name': 'a' }, b: { 'kubernetes.io/metadata.name': 'b' } });
  });

  it('workloads keep their pod labels and container ports (protocol TCP by default)', () => {
    const c = build(`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: n}
spec:
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - {name: a, ports: [{name: sql, containerPort: 5432}]}
        - {name: b, ports: [{containerPort: 9999, protocol: UDP}]}
`);
    expect(c.workloads).toEqual([
      {
        id: 'n/db[StatefulSet]',
        namespace: 'n',
        name: 'db',
        kind: 'StatefulSet',
        labels: { app: 'db' },
        ports: [
          { name: 'sql', port: 5432, protocol: 'TCP' },
          { port: 9999, protocol: 'UDP' },
        ],
      },
    ]);
  });

  it('policyTypes: implied Ingress always, Egress iff egress rules; explicit as written', () => {
    const c = build(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: implied, namespace: n}
spec: {podSelector: {}, egress: [{}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: explicit, namespace: n}
spec: {podSelector: {}, policyTypes: [Egress], ingress: [{}]}
`);
    expect(c.policies.map((p) => [p.name, p.ingress, p.egress])).toEqual([
      ['implied', true, true],
      ['explicit', false, true],
    ]);
  });

  it.each([
    ['spec: {podSelector: {}, ingress: [{from: [{}]}]}', 'spec.ingress[0].from[0]: must specify a peer (podSelector, namespaceSelector or ipBlock)'],
    [
      'spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}',
      'spec.ingress[0].from[0]: ipBlock may not be combined with podSelector or namespaceSelector',
    ],
    [
      'spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]}',
      'spec.egress[0].to[0].ipBlock.except[0]: "11.0.0.0/16" is not inside "10.0.0.0/8"',
    ],
    ['spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: nope}}]}]}', 'spec.egress[0].to[0].ipBlock.cidr: "nope" is not a CIDR'],
    ['spec: {podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}', 'spec.ingress[0].ports[0].endPort: 80 must be a port number not below port 90'],
    ['spec: {podSelector: {}, ingress: [{ports: [{port: http, endPort: 80}]}]}', 'spec.ingress[0].ports[0].endPort: may not be used with a named port'],
    ['spec: {podSelector: {}, ingress: [{ports: [{port: 0}]}]}', 'spec.ingress[0].ports[0].port: 0 is not a port number (1-65535)'],
    ['spec: {podSelector: {}, policyTypes: [Both]}', 'spec.policyTypes: "Both" is not one of "Ingress", "Egress"'],
    ['spec: {podSelector: {matchExpressions: [{key: a, operator: In}]}}', 'spec.podSelector.matchExpressions[0]: operator In needs at least one value'],
  ])('rejects %s', (spec, message) => {
    expect(() => build(`apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\n${spec}\n`)).toThrow(
      `m.yaml (document 1): NetworkPolicy n/p: ${message}`,
    );
  });

  it('an IPv6 ipBlock matches no IPv4 address but is accepted', () => {
    const c = build(
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: "fd00::/8"}}]}]}\n',
    );
    expect(c.policies[0]!.egressRules[0]!.peers).toEqual([{ kind: 'ipBlock' }]);
  });

  it('List kinds are flattened and other kinds ignored', () => {
    const objs = parseManifestText(
      'l.yaml',
      'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: a}}\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n',
    );
    expect(objs.map((o) => o.source)).toEqual(['l.yaml (document 1) items[0]', 'l.yaml (document 1) items[1]']);
    expect(buildCluster(objs).workloads.map((w) => w.id)).toEqual(['default/a[Pod]']);
  });
});
