/**
 * Deterministic generated manifests for the benchmark and the property tests: namespaces of
 * workloads with a realistic mix of policies (default deny, DNS egress, per-app allows by
 * label, by namespace, by named port, port ranges, ipBlocks with except, matchExpressions).
 */
import { mulberry32 } from '../tests/support/prng';

/** The seeded PRNG of generated inputs (see lib/prng.ts). */
export const rng = mulberry32;

export interface GenerateOptions {
  readonly seed: number;
  readonly workloads: number;
  /** @default 0.3 */
  readonly policiesPerWorkload?: number;
  /** @default 20 */
  readonly workloadsPerNamespace?: number;
}

type Obj = Record<string, unknown>;

const TIERS = ['web', 'api', 'db', 'cache', 'worker'] as const;
const CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '0.0.0.0/0', '203.0.113.0/24', '198.51.100.0/24'];

export function generateManifests(o: GenerateOptions): Obj[] {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const perNs = o.workloadsPerNamespace ?? 20;
  const nsCount = Math.max(1, Math.ceil(o.workloads / perNs));
  const namespaces = Array.from({ length: nsCount }, (_, i) => `ns${i}`);
  const objects: Obj[] = namespaces.map((name, i) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { team: `t${i % 4}`, env: i % 2 ? 'prod' : 'dev' } },
  }));
  const apps: { ns: string; name: string; tier: string }[] = [];
  for (let i = 0; i < o.workloads; i++) {
    const ns = namespaces[i % nsCount]!;
    const tier = pick(TIERS);
    const name = `app${i}`;
    apps.push({ ns, name, tier });
    const port = 8000 + Math.floor(r() * 100);
    objects.push({
      apiVersion: 'apps/v1',
      kind: pick(['Deployment', 'Deployment', 'StatefulSet', 'DaemonSet']),
      metadata: { name, namespace: ns },
      spec: {
        template: {
          metadata: { labels: { app: name, tier } },
          spec: {
            containers: [
              {
                name,
                image: 'x:1',
                ports: [
                  { name: 'http', containerPort: port },
                  { name: 'metrics', containerPort: 9090 },
                ],
              },
            ],
          },
        },
      },
    });
  }
  const budget = Math.round(o.workloads * (o.policiesPerWorkload ?? 0.3));
  let made = 0;
  const add = (ns: string, spec: Obj) => {
    objects.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `p${made}`, namespace: ns }, spec });
    made++;
  };
  // Most namespaces are default-deny with DNS egress; the rest stay open.
  for (const ns of namespaces) {
    if (made + 2 > budget || r() < 0.2) continue;
    add(ns, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    add(ns, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { tier: 'dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }],
    });
  }
  const peer = (): Obj => {
    switch (Math.floor(r() * 5)) {
      case 0:
        return { podSelector: { matchLabels: { tier: pick(TIERS) } } };
      case 1:
        return { namespaceSelector: { matchLabels: { team: `t${Math.floor(r() * 4)}` } } };
      case 2:
        return {
          namespaceSelector: { matchLabels: { env: 'prod' } },
          podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [pick(TIERS), pick(TIERS)] }] },
        };
      case 3: {
        const cidr = pick(CIDRS);
        return cidr === '0.0.0.0/0' ? { ipBlock: { cidr, except: ['10.0.0.0/8', '192.168.0.0/16'] } } : { ipBlock: { cidr } };
      }
      default:
        return { podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: [pick(TIERS)] }] } };
    }
  };
  const ports = (): Obj[] | undefined => {
    switch (Math.floor(r() * 4)) {
      case 0:
        return [{ port: 'http' }];
      case 1:
        return [
          { port: 8000, endPort: 8049 },
          { protocol: 'UDP', port: 5000 },
        ];
      case 2:
        return [{ port: 'metrics' }, { port: 443 }];
      default:
        return undefined;
    }
  };
  while (made < budget) {
    const target = pick(apps);
    const direction = r() < 0.7 ? 'ingress' : 'egress';
    const rule: Obj = { [direction === 'ingress' ? 'from' : 'to']: [peer(), ...(r() < 0.3 ? [peer()] : [])] };
    const p = ports();
    if (p) rule.ports = p;
    add(target.ns, {
      podSelector: r() < 0.8 ? { matchLabels: { app: target.name } } : { matchLabels: { tier: target.tier } },
      ...(r() < 0.5 ? { policyTypes: [direction === 'ingress' ? 'Ingress' : 'Egress'] } : {}),
      [direction]: [rule],
    });
  }
  return objects;
}
