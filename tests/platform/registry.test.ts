/**
 * The registry and the component contract, followed as a user would: a new Helm-based component
 * (tests/support/metrics-agent: chart, settings block, pods, flows) is one folder plus one
 * registry entry, and everything else (schema, validation, workloads, flows, NetworkPolicies,
 * the intent proof, Argo CD metadata, chart pins) follows from it.
 */

import { readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parse } from 'yaml';
import { METADATA_FILE, VALUES_FILE } from '../../argocd/component-metadata';
import devInput from '../../environments/dev';
import { readLock } from '../../lib/charts/lock';
import { chartDigest } from '../../lib/charts/source';
import { loadEnvironments } from '../../lib/load';
import { type ChartSource, defaultChartsDir, synthesize } from '../../lib/synth';
import { chartsOf, componentsFor, type EnvironmentInput, PLATFORM, pinnedCharts, validate } from '../../platform/registry';
import { clone, REPO, tempDir } from '../support';
import { metricsAgent } from '../support/metrics-agent';

const CATALOGUE = [...PLATFORM, metricsAgent];

/** The real charts plus the fixture's, in one charts directory, and a lock that pins them all. */
function chartSource(): ChartSource {
  const dir = tempDir('zt-charts-');
  const shared = defaultChartsDir();
  for (const name of readdirSync(shared)) symlinkSync(join(shared, name), join(dir, name));
  const fixture = join(REPO, 'tests', 'fixtures', 'charts', 'metrics-agent-1.2.4');
  symlinkSync(fixture, join(dir, 'metrics-agent-1.2.4'));
  const real = readLock();
  return {
    dir,
    lock: {
      charts: [...real.charts, { chart: 'metrics-agent', version: '1.2.4', repository: 'https://charts.example.test/metrics', digest: chartDigest(fixture) }],
    },
  };
}

function withMetrics(patch: (e: any) => void = () => {}) {
  const input = clone(devInput) as any;
  input.namespaces.push('metrics');
  input.components.push('metrics-agent');
  input.metrics = { scrapeInterval: '15s' };
  input.flows.push({ from: 'whoami/whoami', to: 'metrics/agent', port: 'metrics' });
  patch(input);
  return validate(input, CATALOGUE);
}

function mustValidate(patch?: (e: any) => void) {
  const r = withMetrics(patch);
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

describe('a new platform component: one folder plus one registry entry', () => {
  it('its settings block is part of the environment schema, resolved once', () => {
    const env = mustValidate();
    expect(env.settings.metrics).toEqual({ namespace: 'metrics', scrapeInterval: '15s', cluster: 'dev-eu' });
    expect(env.components).toContain('metrics-agent');
    expect(env.charts['metrics-agent']).toBe('1.2.4');
  });

  it('its pods are workloads flows may name, and its own flows join the declared ones', () => {
    const env = mustValidate();
    expect(env.workloads.find((w) => w.name === 'agent')).toMatchObject({ namespace: 'metrics', ports: { metrics: { containerPort: 9100 } } });
    const own = env.flows.filter((f) => f.origin === 'metrics-agent');
    expect(own.map((f) => (typeof f.to === 'string' ? f.to : f.to.cidr))).toEqual(['172.20.0.1/32', '10.10.224.0/22', '10.10.228.0/22']);
    const declared = env.flows.find((f) => f.to === 'metrics/agent')!;
    expect(declared.ports).toEqual({ protocol: 'TCP', port: 9100 });
    expect(declared.origin).toBeUndefined();
  });

  it('renders into its own directory with Argo CD metadata, values and proven NetworkPolicies', () => {
    const env = mustValidate();
    const files = new Map(synthesize([env], { catalogue: CATALOGUE, charts: chartSource() }).files.map((f) => [f.path, f.content]));
    expect(files.get('dev/metrics-agent/configmap.metrics.metrics-agent.yaml')).toContain('scrapeInterval: 15s');
    // The chart's objects, rendered by helm with the component's values, namespaced by synth.
    expect(parse(files.get('dev/metrics-agent/deployment.metrics.metrics-agent.yaml')!).spec.template.spec.containers[0].args).toEqual(['--interval=15s']);
    expect(files.has('dev/metrics-agent/serviceaccount.metrics.metrics-agent.yaml')).toBe(true);
    expect(files.has('dev/metrics-agent/clusterrole.metrics-agent-read.yaml')).toBe(true);
    // Helm hooks stay objects with their hook annotations (Argo CD maps helm.sh/hook to its own hooks).
    const hook = parse(files.get('dev/metrics-agent/configmap.metrics.metrics-agent-preflight.yaml')!);
    expect(hook.metadata.annotations).toEqual({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '-5' });
    const meta = JSON.parse(files.get(`dev/metrics-agent/${METADATA_FILE}`)!).component;
    expect(meta).toMatchObject({ namespace: 'metrics', chart: { chart: 'metrics-agent', version: '1.2.4', releaseName: 'metrics-agent' } });
    expect(parse(files.get(`dev/metrics-agent/${VALUES_FILE}`)!)).toEqual({ nameOverride: 'metrics-agent', scrapeInterval: '15s' });
    const egress = [...files.keys()].filter((p) => p.startsWith('dev/network-policy/networkpolicy.metrics.allow-egress-metrics-agent-'));
    expect(egress.sort()).toEqual([
      'dev/network-policy/networkpolicy.metrics.allow-egress-metrics-agent-to-10.10.224.0-22-tcp-443.yaml',
      'dev/network-policy/networkpolicy.metrics.allow-egress-metrics-agent-to-10.10.228.0-22-tcp-443.yaml',
      'dev/network-policy/networkpolicy.metrics.allow-egress-metrics-agent-to-172.20.0.1-32-tcp-443.yaml',
    ]);
    // The proof runs on the chart's real pod template, not on a modelled pod.
    expect(files.get('dev/ACCESS.md')).toContain('metrics/metrics-agent[Deployment]');
  });

  it('a version the chart directory lacks, or values the chart schema rejects, fail with one line naming environment, component and chart', () => {
    const missing = mustValidate((e) => (e.charts = { 'metrics-agent': '1.2.5' }));
    expect(() => synthesize([missing], { catalogue: CATALOGUE, charts: chartSource() })).toThrow(
      /^environment dev: component metrics-agent: chart metrics-agent-1\.2\.5 is not in charts\.lock\.json|^environment dev: component metrics-agent: chart metrics-agent-1\.2\.5 not found/,
    );
    const bad = mustValidate((e) => (e.metrics = { scrapeInterval: '15s' }));
    const rejecting = { ...metricsAgent, chart: { ...metricsAgent.chart!, values: () => ({ scrapeInterval: 'often' }) } };
    expect(() => synthesize([bad], { catalogue: [...PLATFORM, rejecting], charts: chartSource() })).toThrow(
      /^environment dev: component metrics-agent: chart metrics-agent-1\.2\.4: values don't meet the specifications of the schema/,
    );
  });

  it('is switched on per environment and rendered only there', () => {
    const off = validate(clone(devInput), CATALOGUE);
    expect('env' in off && componentsFor(off.env, CATALOGUE).map((c) => c.name)).not.toContain('metrics-agent');
    expect(componentsFor(mustValidate(), CATALOGUE).map((c) => c.name)).toContain('metrics-agent');
  });

  it.each([
    ['without its settings block', (e: any) => delete e.metrics, 'components[6]', '"metrics-agent" needs a metrics block'],
    ['a misspelt field of its block', (e: any) => (e.metrics = { scrapeIntervall: '15s' }), 'metrics', 'unknown field "scrapeIntervall"'],
    [
      'a bad value in its block',
      (e: any) => (e.metrics = { scrapeInterval: 'often' }),
      'metrics.scrapeInterval',
      'Invalid string: must match pattern /^\\d+s$/',
    ],
    [
      'its block failing its own check',
      (e: any) => (e.metrics = { namespace: 'observability' }),
      'metrics.namespace',
      'namespace "observability" is not declared in namespaces',
    ],
    [
      'without a component it requires',
      (e: any) => (e.components = ['cert-manager', 'external-secrets', 'twingate-operator', 'metrics-agent']),
      'components[3]',
      '"metrics-agent" needs "network-policy"',
    ],
    [
      'a flow to a port its pods do not have',
      (e: any) => (e.flows[1].port = 'http'),
      'flows[1] (whoami/whoami -> metrics/agent : http).port',
      '"metrics/agent" has no port named "http" (it has "metrics")',
    ],
  ])('rejects an environment %s, naming the field', (_what, patch, path, message) => {
    const r = withMetrics(patch);
    expect(r).toEqual({ problem: { path, message } });
  });

  it('the real registry does not know the fixture: same input, one line naming the component', () => {
    const input = clone(devInput) as EnvironmentInput & { components: string[] };
    input.components.push('metrics-agent');
    expect(validate(input)).toEqual({
      problem: {
        path: 'components[6]',
        message:
          '"metrics-agent" is not one of "network-policy", "cert-manager", "external-secrets", "twingate-operator", "twingate-access-gateway", "tailscale-operator", "argo-cd", "spire-crds", "spire"',
      },
    });
  });

  it('environment files are typed from the registry: a settings block is a field, from its registry line alone', () => {
    // Checked by `pnpm typecheck`: a block missing here, or a field of it, fails to compile.
    expectTypeOf<EnvironmentInput>().toHaveProperty('twingate');
    expectTypeOf<NonNullable<EnvironmentInput['twingate']>>().toHaveProperty('network');
    expectTypeOf<NonNullable<EnvironmentInput['twingate']>>().not.toHaveProperty('remoteNetwork');
  });

  it('chart pins come from the components, once', () => {
    expect(pinnedCharts(CATALOGUE).map((c) => `${c.component}:${c.chart}@${c.version}`)).toEqual([
      'cert-manager:cert-manager@v1.21.1',
      'external-secrets:external-secrets@2.9.0',
      'twingate-operator:twingate-operator@2.0.0',
      'twingate-access-gateway:gateway@1.0.0',
      'twingate-connector:connector@0.1.35',
      'tailscale-operator:tailscale-operator@1.102.3',
      'argo-cd:argo-cd@10.1.1',
      'spire-crds:spire-crds@0.6.0',
      'spire:spire@0.30.0',
      'vpc-lattice:aws-gateway-controller-chart@v2.1.3',
      'kyverno:kyverno@3.9.0',
      'metrics-agent:metrics-agent@1.2.4',
    ]);
  });
});

describe('charts the environments render', () => {
  it('are derived from enabled components and overrides, once each', async () => {
    const envs = await loadEnvironments();
    expect(chartsOf(envs).map((c) => `${c.chart}@${c.version} ${c.repository}`)).toEqual([
      'argo-cd@10.1.1 https://argoproj.github.io/argo-helm',
      'aws-gateway-controller-chart@v2.1.3 oci://public.ecr.aws/aws-application-networking-k8s',
      'cert-manager@v1.21.1 https://charts.jetstack.io',
      'connector@0.1.35 https://twingate.github.io/helm-charts',
      'external-secrets@2.9.0 https://charts.external-secrets.io',
      'gateway@1.0.0 oci://ghcr.io/twingate/helmcharts',
      'kyverno@3.9.0 https://kyverno.github.io/kyverno',
      'spire-crds@0.6.0 https://spiffe.github.io/helm-charts-hardened',
      'spire@0.30.0 https://spiffe.github.io/helm-charts-hardened',
      'tailscale-operator@1.102.3 https://pkgs.tailscale.com/helmcharts',
      'twingate-operator@2.0.0 oci://ghcr.io/twingate/helmcharts',
    ]);
    const bumped = mustValidate((e) => (e.charts = { gateway: '1.0.1' }));
    expect(chartsOf([...envs, { ...bumped, name: 'qa' }], CATALOGUE).map((c) => `${c.chart}@${c.version}`)).toContain('gateway@1.0.1');
    expect(chartsOf([...envs, { ...bumped, name: 'qa' }], CATALOGUE).map((c) => `${c.chart}@${c.version}`)).toContain('metrics-agent@1.2.4');
  });
});
