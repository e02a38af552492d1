/**
 * A small Helm-based platform component, built exactly as the README's "Add a platform
 * component" says: one folder exporting a `Component` with its chart, settings block, pods,
 * flows and rendered objects. Tests register it beside the real registry and render it; its
 * chart is tests/fixtures/charts/metrics-agent-1.2.4.
 */
import { k8s } from 'cdk8s-plus-28';
import { z } from 'zod';
import { toApiServer } from '../../../lib/cluster';
import { COMMON_LABELS, type Component, type SettingsBlock, settingsOf } from '../../../lib/component';
import type { Environment } from '../../../lib/environment';

/** The component's own block of environment settings, at `metrics` in an environment file. */
const schema = z.strictObject({
  /** @default "metrics" */
  namespace: z.string().default('metrics'),
  /** @default "30s" */
  scrapeInterval: z
    .string()
    .regex(/^\d+s$/)
    .default('30s'),
});

const metricsSettings: SettingsBlock<typeof schema, z.output<typeof schema> & { readonly cluster: string }, 'metrics'> = {
  key: 'metrics',
  schema,
  resolve: (parsed, env) => ({ ...parsed, cluster: env.cluster.name }),
  *check(env) {
    const m = settingsOf(env, metricsSettings);
    if (!env.namespaces.includes(m.namespace))
      yield { path: 'metrics.namespace', message: `namespace ${JSON.stringify(m.namespace)} is not declared in namespaces` };
  },
};

const LABELS = { 'app.kubernetes.io/name': 'metrics-agent' };

export const metricsAgent = {
  name: 'metrics-agent',
  settings: metricsSettings,
  requires: ['network-policy'],
  namespace: (env: Environment) => settingsOf(env, metricsSettings).namespace,
  chart: {
    repository: 'https://charts.example.test/metrics',
    chart: 'metrics-agent',
    version: '1.2.4',
    releaseName: 'metrics-agent',
    values: (env) => ({ nameOverride: 'metrics-agent', scrapeInterval: settingsOf(env, metricsSettings).scrapeInterval }),
  },
  workloads: (env) => [
    { namespace: settingsOf(env, metricsSettings).namespace, name: 'agent', labels: LABELS, ports: { metrics: { containerPort: 9100, protocol: 'TCP' } } },
  ],
  flows: (env) => toApiServer(env, `${settingsOf(env, metricsSettings).namespace}/agent`, 'agent to the Kubernetes API server'),
  render(chart, env) {
    const m = settingsOf(env, metricsSettings);
    new k8s.KubeConfigMap(chart, 'config', {
      metadata: { name: 'metrics-agent', namespace: m.namespace, labels: { ...COMMON_LABELS } },
      data: { cluster: m.cluster, scrapeInterval: m.scrapeInterval },
    });
  },
} satisfies Component;
