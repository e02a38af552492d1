/**
 * Properties of NetworkPolicy semantics over generated clusters (seeded, so a failure names the
 * seed that reproduces it). External addresses are compared per address, not per printed
 * range, since a new ipBlock re-splits the address space without changing what is allowed.
 */
import { describe, expect, it } from 'vitest';
import { type Analysis, analyze } from '../../analysis/analyze';
import { type ConnSet, equals, formatConns, isEmpty, NO_CONNS, subtract } from '../../analysis/conns';
import { buildCluster } from '../../analysis/model';
import { matches } from '../../analysis/selectors';
import { generateManifests, rng } from '../../bench/generate';

type Obj = Record<string, unknown>;
const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

function run(objects: readonly Obj[]): Analysis {
  return analyze(buildCluster(objects.map((object, i) => ({ source: `#${i}`, object }))));
}

/** Connection between two named endpoints; an external endpoint is `@<address>`. */
function lookup(a: Analysis): (src: string, dst: string) => ConnSet {
  const map = new Map<string, ConnSet>();
  const starts = a.ranges.map((r) => r.start);
  const rangeOf = (addr: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= addr) lo = mid;
      else hi = mid - 1;
    }
    return `@${starts[lo]}`;
  };
  const name = (e: Analysis['connections'][number]['src']) => (e.kind === 'workload' ? e.workload.id : `@${e.range.start}`);
  for (const c of a.connections) map.set(`${name(c.src)}|${name(c.dst)}`, c.conns);
  const norm = (n: string) => (n.startsWith('@') ? rangeOf(Number(n.slice(1))) : n);
  return (src, dst) => map.get(`${norm(src)}|${norm(dst)}`) ?? NO_CONNS;
}

/** Every endpoint pair to compare two analyses on: workloads, and each range start of either. */
function endpoints(a: Analysis, b: Analysis): string[] {
  const addrs = [...new Set([...a.ranges, ...b.ranges].map((r) => r.start))].map((s) => `@${s}`);
  return [...a.workloads.map((w) => w.id), ...addrs];
}

function diff(before: Analysis, after: Analysis, check: (src: string, dst: string, b: ConnSet, a: ConnSet) => string | undefined): string[] {
  const lb = lookup(before);
  const la = lookup(after);
  const eps = endpoints(before, after);
  const problems: string[] = [];
  for (const s of eps) {
    for (const d of eps) {
      if (s === d || (s.startsWith('@') && d.startsWith('@'))) continue;
      const p = check(s, d, lb(s, d), la(s, d));
      if (p) problems.push(p);
    }
  }
  return problems;
}

const policy = (ns: string, name: string, spec: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: ns },
  spec,
});
const small = (seed: number) => generateManifests({ seed, workloads: 12, policiesPerWorkload: 0.6, workloadsPerNamespace: 4 });
const pods = (objs: readonly Obj[]) =>
  objs.filter((o) => o.kind !== 'Namespace' && o.kind !== 'NetworkPolicy') as { metadata: { name: string; namespace: string } }[];

describe('properties over generated clusters', () => {
  it('a policy that selects no pods changes nothing', () => {
    for (const seed of SEEDS) {
      const base = small(seed);
      const extra = policy('ns0', 'selects-nothing', {
        podSelector: { matchLabels: { app: 'no-such-app' } },
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '8.8.8.0/24', except: ['8.8.8.8/32'] } }] }],
      });
      const problems = diff(run(base), run([...base, extra]), (s, d, b, a) =>
        equals(b, a) ? undefined : `${s} => ${d}: ${formatConns(b)} became ${formatConns(a)}`,
      );
      expect(problems, `seed ${seed}`).toEqual([]);
    }
  });

  it('adding a rule to an existing policy never removes a connection', () => {
    for (const seed of SEEDS) {
      const base = small(seed);
      const r = rng(seed * 7919);
      const policies = base.map((o, i) => [o, i] as const).filter(([o]) => o.kind === 'NetworkPolicy');
      const [target, index] = policies[Math.floor(r() * policies.length)]!;
      const spec = structuredClone((target as { spec: Obj }).spec);
      const direction = r() < 0.5 ? 'ingress' : 'egress';
      const rule =
        r() < 0.5
          ? { ports: [{ port: 'http' }] }
          : { [direction === 'ingress' ? 'from' : 'to']: [{ ipBlock: { cidr: '100.64.0.0/10' } }], ports: [{ protocol: 'UDP', port: 123 }] };
      spec[direction] = [...((spec[direction] as Obj[] | undefined) ?? []), rule];
      // Keep the policy's types as they were: a new egress rule must not turn on Egress isolation.
      if (!spec.policyTypes)
        spec.policyTypes =
          (target as { spec: Obj }).spec.egress && (target as { spec: { egress: unknown[] } }).spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
      const changed = base.map((o, i) => (i === index ? { ...o, spec } : o));
      const problems = diff(run(base), run(changed), (s, d, b, a) => {
        const lost = subtract(b, a);
        return isEmpty(lost) ? undefined : `${s} => ${d} lost ${formatConns(lost)}`;
      });
      expect(problems, `seed ${seed}`).toEqual([]);
    }
  });

  it('a policy that selects a pod not yet isolated may remove connections, but only into that pod', () => {
    let removedSomewhere = 0;
    for (const seed of SEEDS) {
      const base = small(seed);
      const before = run(base);
      const open = before.workloads.filter(
        (w) => !base.some((o) => o.kind === 'NetworkPolicy' && (o.metadata as { namespace: string }).namespace === w.namespace),
      );
      if (open.length === 0) continue;
      const w = open[0]!;
      const extra = policy(w.namespace, 'isolate', {
        podSelector: { matchLabels: { app: w.name } },
        ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'web' } } }] }],
      });
      const problems = diff(before, run([...base, extra]), (s, d, b, a) => {
        const lost = subtract(b, a);
        if (isEmpty(lost)) return undefined;
        removedSomewhere++;
        return d === w.id ? undefined : `${s} => ${d} lost ${formatConns(lost)} though only ${w.id} was newly isolated`;
      });
      expect(problems, `seed ${seed}`).toEqual([]);
    }
    expect(removedSomewhere).toBeGreaterThan(0);
  });

  it('a default-deny ingress policy removes every connection into the pods it selects (not otherwise allowed), and nothing else', () => {
    let checked = 0;
    for (const seed of SEEDS) {
      const base = small(seed);
      // Pods of a namespace without policies: the deny is the only ingress policy selecting them.
      const withPolicies = new Set(base.filter((o) => o.kind === 'NetworkPolicy').map((o) => (o.metadata as { namespace: string }).namespace));
      const ns = pods(base).find((p) => !withPolicies.has(p.metadata.namespace))?.metadata.namespace;
      if (!ns) continue;
      checked++;
      const before = run(base);
      const after = run([...base, policy(ns, 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })]);
      const into = after.connections.filter((c) => c.dst.kind === 'workload' && c.dst.workload.namespace === ns).map((c) => c.dst);
      expect(into, `seed ${seed}`).toEqual([]);
      const problems = diff(before, after, (s, d, b, a) => {
        if (d.startsWith(`${ns}/`)) return undefined;
        return equals(b, a) ? undefined : `${s} => ${d}: ${formatConns(b)} became ${formatConns(a)}`;
      });
      expect(problems, `seed ${seed}`).toEqual([]);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('a default-deny ingress policy adds nothing to pods another ingress policy already isolates (policies are unions)', () => {
    let total = 0;
    for (const seed of SEEDS) {
      const base = small(seed);
      const before = run(base);
      const after = run([...base, policy('ns0', 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })]);
      const cluster = buildCluster(base.map((object, i) => ({ source: `#${i}`, object })));
      const isolated = new Set(
        cluster.workloads
          .filter((w) => cluster.policies.some((p) => p.ingress && p.namespace === w.namespace && matches(p.podSelector, w.labels)))
          .map((w) => w.id),
      );
      total += [...isolated].filter((id) => id.startsWith('ns0/')).length;
      const problems = diff(before, after, (s, d, b, a) => {
        if (!isolated.has(d) || equals(b, a)) return undefined;
        return `${s} => ${d}: ${formatConns(b)} became ${formatConns(a)}`;
      });
      expect(problems, `seed ${seed}`).toEqual([]);
    }
    expect(total).toBeGreaterThan(0);
  });
});
