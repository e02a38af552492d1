/** component.json / values.yaml: the sync rules derived from what a component renders. */
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ComponentMetadata, METADATA_FILE, VALUES_FILE } from '../../argocd/component-metadata';
import type { Environment } from '../../lib/environment';
import { helmSource, synthesize } from '../../lib/synth';
import { loadEnvs, standIn } from '../support/argocd';
import { catalogue, fixtureClusterRole, fixtureConnector, fixtureOperator, fixtureResources } from '../support/argocd-components';

let envs: Environment[];
let meta: Map<string, ComponentMetadata>;
let files: Map<string, string>;

beforeAll(async () => {
  envs = await loadEnvs();
  const result = synthesize(standIn(envs), { componentsFor: catalogue([fixtureOperator, fixtureConnector, fixtureResources, fixtureClusterRole]) });
  files = new Map(result.files.map((f) => [f.path, f.content]));
  meta = new Map(result.components.map((c) => [`${c.env}/${c.component}`, c.metadata]));
});

describe('component metadata', () => {
  it('is written for every component directory, and equals what synth computed', () => {
    for (const [dir, m] of meta) expect(JSON.parse(files.get(`${dir}/${METADATA_FILE}`)!)).toEqual({ component: JSON.parse(JSON.stringify(m)) });
    // Files directly under dist/<env>/ (the access map) belong to no component.
    const dirs = new Set([...files.keys()].filter((p) => p.split('/').length > 2).map((p) => p.split('/').slice(0, 2).join('/')));
    expect([...dirs].sort()).toEqual([...meta.keys()].sort());
  });

  it("names the environment's project of the component's kind and a destination namespace the component uses", () => {
    for (const [dir, m] of meta) {
      const [envName, component] = dir.split('/') as [string, string];
      const isApp = envs.find((e) => e.name === envName)!.apps[component] !== undefined;
      expect(m.project).toBe(`${envName}-${isApp ? 'apps' : 'platform'}`);
      expect(m.name).toBe(dir.split('/')[1]);
    }
    expect(meta.get('dev/whoami')!.namespace).toBe('whoami');
    expect(meta.get('dev/connector')!.namespace).toBe('twingate-connectors');
  });

  it('creates a namespace only when the environment does not own it (owned ones are Namespace objects of "namespaces")', () => {
    const creating = [...meta].filter(([, m]) => m.syncOptions.includes('CreateNamespace=true')).map(([d]) => d.split('/')[1]);
    expect(new Set(creating)).toEqual(new Set(['connector']));
    for (const env of envs) expect(env.namespaces).not.toContain(meta.get(`${env.name}/connector`)!.namespace);
  });

  it('uses server-side apply only for components that install CRDs', () => {
    const ssa = [...meta].filter(([, m]) => m.syncOptions.includes('ServerSideApply=true')).map(([d]) => d.split('/')[1]);
    expect(new Set(ssa)).toEqual(new Set(['argo-cd', 'twingate-operator', 'spire-crds', 'kyverno']));
  });

  it('skips the dry run only where custom resources depend on a CRD from another Application', () => {
    const skip = [...meta].filter(([, m]) => m.syncOptions.includes('SkipDryRunOnMissingResource=true')).map(([d]) => d.split('/')[1]);
    expect(new Set(skip)).toEqual(new Set(['access', 'spire']));
  });

  it('ignores only operator-written Twingate fields, and then respects them on sync', () => {
    for (const [dir, m] of meta) {
      const paths = m.ignoreDifferences.flatMap((d) => d.jqPathExpressions);
      expect(paths.every((p) => p === '.spec.id' || p === '.spec.name')).toBe(true);
      expect(m.ignoreDifferences.every((d) => d.group === 'twingate.com')).toBe(true);
      expect(m.syncOptions.includes('RespectIgnoreDifferences=true')).toBe(m.ignoreDifferences.length > 0);
      if (dir.endsWith('/whoami') || dir.endsWith('/namespaces')) expect(m.ignoreDifferences).toEqual([]);
    }
    const operator = meta.get('prod/twingate-operator')!;
    expect(operator.ignoreDifferences.find((d) => d.kind === 'TwingateConnector')!.jqPathExpressions).toEqual(['.spec.id', '.spec.name']);
    expect(meta.get('prod/access')!.ignoreDifferences).toEqual([{ group: 'twingate.com', kind: 'TwingateResource', jqPathExpressions: ['.spec.id'] }]);
  });

  it('never replaces or forces, and always prunes last and fails on shared resources', () => {
    for (const m of meta.values()) {
      expect(m.syncOptions.some((o) => /^(Replace|Force)=/.test(o))).toBe(false);
      expect(m.syncOptions).toContain('PruneLast=true');
      expect(m.syncOptions).toContain('FailOnSharedResource=true');
    }
  });

  it('writes values.yaml (for review) exactly for chart components, with the typed values and the pinned chart', () => {
    const withValues = [...files.keys()].filter((p) => p.endsWith(`/${VALUES_FILE}`)).map((p) => p.split('/').slice(0, 2).join('/'));
    expect(new Set(withValues)).toEqual(new Set([...meta].filter(([, m]) => m.chart !== null).map(([d]) => d)));
    const staging = envs.find((e) => e.name === 'staging')!;
    expect(parse(files.get(`staging/twingate-operator/${VALUES_FILE}`)!)).toEqual(helmSource(staging, fixtureOperator)!.values);
    expect(meta.get('staging/twingate-operator')!.chart).toEqual({
      repository: 'oci://ghcr.io/twingate/helmcharts',
      chart: 'twingate-operator',
      version: staging.charts['twingate-operator'],
      releaseName: 'twingate-operator',
      // What the chart output was rendered from, so a checkout without the chart can reuse it.
      renderedFrom: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
  });

  it('records no wave: the order is derived per environment, onto the child Applications (tests/argocd/order.test.ts)', () => {
    expect(Object.keys(meta.get('dev/twingate-operator')!)).not.toContain('wave');
  });
});
