/**
 * The network contract, asserted on rendered objects: default deny both ways in every owned
 * namespace, DNS only to kube-dns, and allows that correspond one-to-one to declared flows,
 * for the committed environments and for generated ones.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KUBE_DNS } from '../../lib/cluster';
import { type Environment, NAME_LABEL, workloads } from '../../lib/environment';
import { fileNameFor } from '../../lib/output';
import { ALLOW_DNS, DEFAULT_DENY } from '../../platform/network-policy';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { spireSettingsOf } from '../../platform/spire';
import { environments, objectsOf, tempDir } from '../support';
import { mulberry32 } from '../support/prng';
import { baseInput } from '../support/twingate';

type Rule = { peers: unknown[]; ports: { protocol: string; port: number; endPort?: number }[] };
type NetPol = {
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress?: { from: unknown[]; ports: Rule['ports'] }[];
    egress?: { to: unknown[]; ports: Rule['ports'] }[];
  };
};

function policiesOf(env: Environment): NetPol[] {
  // Left out: the SPIRE agent namespace's own policies, the one namespace the platform writes
  // policies for without owning it (platform/spire; proven in tests/platform/spire.test.ts).
  const agent = env.components.includes('spire') ? spireSettingsOf(env).agentNamespace : undefined;
  return objectsOf(env).filter((o) => o.kind === 'NetworkPolicy' && !(o.component === 'spire' && o.metadata.namespace === agent)) as unknown as NetPol[];
}

/** A rule the policies grant: direction, where, which pods, to/from whom, which ports. */
function grantedRules(policies: NetPol[]): string[] {
  const rules: string[] = [];
  for (const p of policies) {
    if (p.metadata.name === ALLOW_DNS) continue;
    for (const r of p.spec.ingress ?? []) rules.push(JSON.stringify(['in', p.metadata.namespace, p.spec.podSelector, r.from, r.ports]));
    for (const r of p.spec.egress ?? []) rules.push(JSON.stringify(['out', p.metadata.namespace, p.spec.podSelector, r.to, r.ports]));
  }
  return rules.sort();
}

/**
 * What the flows should grant, derived independently of the renderer: for each end the
 * platform owns, one rule selecting that end and naming the other.
 */
function expectedRules(env: Environment): string[] {
  const owned = new Set(env.namespaces);
  const known = workloads(env);
  type End = { ns?: string; selector: object; peer: object };
  const end = (p: Environment['flows'][number]['from']): End => {
    if (typeof p !== 'string') return { selector: {}, peer: { ipBlock: p.except.length ? { cidr: p.cidr, except: p.except } : { cidr: p.cidr } } };
    const [ns, name] = p.split('/') as [string, string];
    const nsSel = { matchLabels: { 'kubernetes.io/metadata.name': ns } };
    if (name === '*') return { ns, selector: {}, peer: { namespaceSelector: nsSel } };
    const labels = { ...known.find((w) => w.namespace === ns && w.name === name)!.labels };
    return { ns, selector: { matchLabels: labels }, peer: { namespaceSelector: nsSel, podSelector: { matchLabels: labels } } };
  };
  const rules: string[] = [];
  for (const f of env.flows) {
    const from = end(f.from);
    const to = end(f.to);
    let port: Rule['ports'][number];
    if (typeof f.port === 'string') {
      const [ns, name] = (f.to as string).split('/');
      const named = known.find((w) => w.namespace === ns && w.name === name)!.ports[f.port]!;
      port = { port: named.containerPort, protocol: f.protocol ?? named.protocol };
    } else {
      port = { port: f.port, protocol: f.protocol ?? 'TCP', ...(f.endPort ? { endPort: f.endPort } : {}) };
    }
    if (from.ns && owned.has(from.ns)) rules.push(JSON.stringify(['out', from.ns, from.selector, [to.peer], [port]]));
    if (to.ns && owned.has(to.ns)) rules.push(JSON.stringify(['in', to.ns, to.selector, [from.peer], [port]]));
  }
  return rules.sort();
}

/** JSON with sorted keys, so that rule strings compare by content. */
function canonical(rules: string[]): string[] {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return rules.map((r) => JSON.stringify(sort(JSON.parse(r)))).sort();
}

function assertContract(env: Environment) {
  const policies = policiesOf(env);
  for (const ns of env.namespaces) {
    const deny = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === DEFAULT_DENY);
    expect(deny, `${env.name}: default deny in ${ns}`).toBeDefined();
    expect(deny!.spec.podSelector).toEqual({});
    expect([...deny!.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    expect(deny!.spec.ingress ?? []).toEqual([]);
    expect(deny!.spec.egress ?? []).toEqual([]);

    const dns = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === ALLOW_DNS);
    expect(dns, `${env.name}: DNS egress in ${ns}`).toBeDefined();
    expect(dns!.spec.policyTypes).toEqual(['Egress']);
    expect(dns!.spec.ingress).toBeUndefined();
    expect(dns!.spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': KUBE_DNS.namespace } }, podSelector: { matchLabels: KUBE_DNS.labels } }],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
    ]);
  }
  // Every policy lives in an owned namespace: the platform never writes policy elsewhere.
  for (const p of policies) expect(env.namespaces).toContain(p.metadata.namespace);
  // Allows equal the flows: each flow has its rule(s), and no rule exists without a flow.
  expect(canonical(grantedRules(policies))).toEqual(canonical(expectedRules(env)));
  // Allows never widen: no policy selects all pods of a namespace unless the flow says so.
  for (const p of policies) {
    for (const r of [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]) {
      expect((r as Rule & { from?: unknown[]; to?: unknown[] }).ports.length, `${p.metadata.name} has explicit ports`).toBeGreaterThan(0);
    }
  }
}

describe('network-policy on the committed environments', () => {
  it('meets the contract in every committed environment', async () => {
    const envs = await environments();
    expect(envs.length).toBe(7);
    for (const env of envs) assertContract(env);
  });

  it('renders the whoami allow on both sides of the connector flow', async () => {
    const [dev] = (await environments()).filter((e) => e.name === 'dev');
    const policies = policiesOf(dev!);
    const ingress = policies.find((p) => p.metadata.namespace === 'whoami' && p.spec.policyTypes.includes('Ingress') && p.spec.ingress?.length);
    expect(ingress!.spec.podSelector).toEqual({ matchLabels: { [NAME_LABEL]: 'whoami' } });
    expect(ingress!.spec.ingress![0]!.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    const egress = policies.find((p) => p.metadata.namespace === 'twingate' && JSON.stringify(p.spec.egress ?? []).includes('"whoami"'));
    expect(egress!.spec.egress![0]!.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated environments: the same contract over random apps, namespaces and flows.

function generatedEnvironment(seed: number): EnvironmentInput {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const namespaces = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => `ns${i}`);
  const apps: NonNullable<EnvironmentInput['apps']> = {};
  const appCount = 2 + Math.floor(rnd() * 4);
  for (let i = 0; i < appCount; i++) {
    const ports: Record<string, { containerPort: number; protocol?: 'TCP' | 'UDP' }> = { http: { containerPort: 8000 + i } };
    if (rnd() < 0.5) ports.metrics = { containerPort: 9000 + i };
    if (rnd() < 0.3) ports.dns = { containerPort: 5353, protocol: 'UDP' };
    apps[`app${i}`] = { namespace: pick(namespaces), image: `example.com/app${i}:1.0.${i}`, ports };
  }
  const names = Object.keys(apps);
  const flows: NonNullable<EnvironmentInput['flows']> = [];
  const seen = new Set<string>();
  for (let i = 0; i < 2 + Math.floor(rnd() * 6); i++) {
    const kind = rnd();
    const to = pick(names);
    const toRef = `${apps[to]!.namespace}/${to}`;
    const port = pick(Object.keys(apps[to]!.ports));
    let flow: NonNullable<EnvironmentInput['flows']>[number];
    if (kind < 0.6) flow = { from: `${apps[pick(names)]!.namespace}/${pick(names)}`, to: toRef, port };
    else if (kind < 0.75) flow = { from: 'kube-system/*', to: toRef, port };
    else if (kind < 0.9) flow = { from: `${apps[pick(names)]!.namespace}/*`, to: toRef, port };
    else
      flow = {
        from: `${apps[pick(names)]!.namespace}/${pick(names)}`,
        to: { cidr: '192.0.2.0/24', except: rnd() < 0.5 ? ['192.0.2.128/25'] : [] },
        port: 443,
        endPort: rnd() < 0.5 ? 445 : undefined,
      };
    // A random `from` may name an app in another namespace: keep only consistent flows.
    if (typeof flow.from === 'string' && !flow.from.endsWith('/*')) {
      const [ns, name] = flow.from.split('/');
      if (apps[name!]!.namespace !== ns) continue;
    }
    if (flow.endPort === undefined) delete flow.endPort;
    const key = JSON.stringify(flow);
    if (seen.has(key)) continue;
    seen.add(key);
    flows.push(flow);
  }
  return {
    name: `gen${seed}`,
    aws: { region: 'eu-west-1' },
    cluster: { name: `gen${seed}`, kubernetesVersion: '1.31' },
    network: { vpcCidr: '10.0.0.0/16', podCidr: '10.0.0.0/16', serviceCidr: '172.20.0.0/16' },
    namespaces,
    apps,
    flows,
  };
}

describe('network-policy on generated environments', () => {
  it('meets the contract for 200 random environments', () => {
    let flowsSeen = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const result = validate(generatedEnvironment(seed));
      if ('problem' in result) throw new Error(`seed ${seed}: ${result.problem.path}: ${result.problem.message}`);
      flowsSeen += result.env.flows.length;
      assertContract(result.env);
    }
    // The generator must actually exercise flows, or the property is vacuous.
    expect(flowsSeen).toBeGreaterThan(400);
  });

  it('a flow from outside the owned namespaces renders only the ingress side', () => {
    const input = generatedEnvironment(7);
    input.flows = [{ from: 'kube-system/*', to: `${input.apps!.app0!.namespace}/app0`, port: 'http' }];
    const r = validate(input);
    if ('problem' in r) throw new Error(r.problem.message);
    const allows = policiesOf(r.env).filter((p) => p.metadata.name !== DEFAULT_DENY && p.metadata.name !== ALLOW_DNS);
    expect(allows).toHaveLength(1);
    expect(allows[0]!.spec.policyTypes).toEqual(['Ingress']);
    expect(allows[0]!.spec.ingress![0]!.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }]);
  });

  it('a flow to addresses outside the cluster renders only the egress side, with its except list', () => {
    const input = generatedEnvironment(11);
    input.flows = [{ from: `${input.apps!.app1!.namespace}/app1`, to: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }, port: 443 }];
    const r = validate(input);
    if ('problem' in r) throw new Error(r.problem.message);
    const allows = policiesOf(r.env).filter((p) => p.metadata.name !== DEFAULT_DENY && p.metadata.name !== ALLOW_DNS);
    expect(allows).toHaveLength(1);
    expect(allows[0]!.spec.policyTypes).toEqual(['Egress']);
    expect(allows[0]!.spec.egress![0]).toEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443, protocol: 'TCP' }] });
  });
});

describe('names built from long namespaces and app names', () => {
  const NS = `n${'s'.repeat(62)}`;
  /** twingate/connector -> <63-character namespace>/<app> : http; the ingress policy's file name is 194 + the app name's length. */
  const withApp = (app: string) =>
    validate(
      baseInput({
        namespaces: ['twingate', 'whoami', NS],
        apps: { [app]: { namespace: NS, image: 'traefik/whoami:v1.10.3', ports: { http: { containerPort: 8080 } } } },
        access: [],
        flows: [{ from: 'twingate/connector', to: `${NS}/${app}`, port: 'http' }],
      }),
    );

  it('validation mirrors the component: the longest accepted flow renders a file name of exactly the limit, which a file system takes', () => {
    const r = withApp(`a${'p'.repeat(57)}`);
    if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
    const names = policiesOf(r.env).map((p) => fileNameFor(p as never));
    const longest = Math.max(...names.map((n) => n.length));
    // 252: 255 minus room for the "-2" suffix of policies that differ only in their except list.
    expect(longest).toBe(252);
    const dir = tempDir();
    for (const n of names) writeFileSync(join(dir, n), '');
  });

  it('one character more is a problem naming the flow, before anything renders', () => {
    const r = withApp(`a${'p'.repeat(58)}`);
    expect('problem' in r && `${r.problem.path}: ${r.problem.message}`).toBe(
      `flows[0] (twingate/connector -> ${NS}/a${'p'.repeat(58)} : http): names too long: its NetworkPolicy file name would have 253 characters (at most 252); shorten the namespace or app names`,
    );
  });
});
