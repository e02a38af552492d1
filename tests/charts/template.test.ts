/**
 * renderChart: the real `helm template` on a fixture chart and on an upstream chart, the cache,
 * one-line errors, Helm version detection and the YAML 1.1 reading of Helm's output.
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLock } from '../../lib/charts/lock';
import { chartDigest } from '../../lib/charts/source';
import {
  canonicalJson,
  firstMeaningfulLine,
  goModuleInfo,
  HELM_INSTALL,
  HELM_VERSION,
  helmVersion,
  normaliseKubeVersion,
  parseManifests,
  type RenderOptions,
  renderCacheKey,
  renderChart,
  renderChartDetailed,
  resolveHelm,
} from '../../lib/charts/template';
import { UserError } from '../../lib/errors';
import { FIXTURE_CHARTS, fakeHelm, HELM, helmSpy, REPO, skipWithoutHelm, skipWithoutUpstream, TINY, tempDir, tinyCopy, UPSTREAM_CHARTS } from './helpers';

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

function tinyOpts(over: Partial<RenderOptions> = {}): RenderOptions {
  return {
    chartsDir: FIXTURE_CHARTS,
    ref: TINY,
    releaseName: 'demo',
    namespace: 'apps',
    kubeVersion: '1.31',
    values: { replicas: 2 },
    cacheDir: tempDir('zt-helm-cache-'),
    ...over,
  };
}

describe('Helm output as data (YAML 1.1, as Kubernetes reads it)', () => {
  const doc = (body: string) =>
    parseManifests(`---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n${body}`, 'c-1.0.0')[0]!.data;

  it('keeps quoted strings strings, numbers numbers, and reads plain yes/on as booleans', () => {
    expect(doc('  q: "yes"\n  s: \'on\'\n  i: 3\n  f: 1.5\n  b: yes\n  o: off\n  z: null\n')).toEqual({
      q: 'yes',
      s: 'on',
      i: 3,
      f: 1.5,
      b: true,
      o: false,
      z: null,
    });
  });

  it('reads plain y/n keys as booleans too, as go-yaml v2 does (sigs.k8s.io/yaml then names them "true"/"false")', () => {
    expect(doc('  y: 1\n  "n": 2\n')).toEqual({ true: 1, n: 2 });
  });

  it('keeps timestamps and base-60 numbers strings, reads 0755 as octal, keeps the last duplicate key', () => {
    expect(doc('  d: 2024-01-01\n  t: 1:20\n  m: 0755\n  k: 1\n  k: 2\n')).toEqual({ d: '2024-01-01', t: '1:20', m: 493, k: 2 });
  });

  it('drops empty and comment-only documents, keeps order', () => {
    const text =
      '---\n# Source: c/templates/x.yaml\n---\n# Source: c/templates/b.yaml\napiVersion: v1\nkind: B\nmetadata: {name: b}\n---\n\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n';
    expect(parseManifests(text, 'c-1').map((o) => o.kind)).toEqual(['B', 'A']);
  });

  it('names the template of a document that is not an object or not YAML', () => {
    expect(() => parseManifests('---\n# Source: c/templates/x.yaml\nfoo: bar\n', 'c-1')).toThrow(
      new UserError('chart c-1: c/templates/x.yaml: helm rendered a document that is not a Kubernetes object (no apiVersion/kind)'),
    );
    expect(() => parseManifests('---\n# Source: c/templates/y.yaml\napiVersion: v1\nkind: [\n', 'c-1')).toThrow(
      /^chart c-1: c\/templates\/y\.yaml: helm output is not valid YAML: /,
    );
  });
});

describe('cache key and helpers', () => {
  const base = {
    digest: `sha256:${'a'.repeat(64)}`,
    values: { b: 1, a: { d: [2, 1], c: 'x' } },
    helmVersion: 'v3.22.0',
    kubeVersion: '1.31',
    releaseName: 'r',
    namespace: 'n',
  };

  it('does not depend on key order or on 1.31 vs 1.31.0, but on everything else', () => {
    const k = renderCacheKey(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(renderCacheKey({ ...base, values: { a: { c: 'x', d: [2, 1] }, b: 1 }, kubeVersion: 'v1.31.0' })).toBe(k);
    const variants = [
      { digest: `sha256:${'b'.repeat(64)}` },
      { values: { b: 1, a: { d: [1, 2], c: 'x' } } },
      { helmVersion: 'v3.22.1' },
      { kubeVersion: '1.32' },
      { releaseName: 'r2' },
      { namespace: 'n2' },
      { flags: ['--include-crds'] },
    ];
    for (const v of variants) expect(renderCacheKey({ ...base, ...v })).not.toBe(k);
  });

  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: [{ z: 1, y: undefined, x: 2 }], a: null })).toBe('{"a":null,"b":[{"x":2,"z":1}]}');
  });

  it('normalises Kubernetes versions to x.y.z', () => {
    expect(['1.31', 'v1.31', '1.31.0', '1.28.3'].map(normaliseKubeVersion)).toEqual(['1.31.0', '1.31.0', '1.31.0', '1.28.3']);
    expect(() => normaliseKubeVersion('latest')).toThrow('Kubernetes version "latest" is not <major>.<minor>[.<patch>] (e.g. 1.31 or 1.31.0)');
  });

  it("takes one line from helm's stderr", () => {
    expect(firstMeaningfulLine('Error: execution error at (c/templates/a.yaml:1:2): boom\n\nUse --debug flag to render out invalid YAML\n')).toBe(
      'execution error at (c/templates/a.yaml:1:2): boom',
    );
    expect(
      firstMeaningfulLine(
        "WARNING: x\nError: values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n- at '/a': got string, want integer\n",
      ),
    ).toBe("values don't meet the specifications of the schema(s) in the following chart(s): c: - at '/a': got string, want integer");
  });
});

describe('finding helm and its version', () => {
  it('a missing helm names the install command', () => {
    expect(() => resolveHelm('/nonexistent/helm')).toThrow(new UserError(`helm /nonexistent/helm not found: install it with ${HELM_INSTALL}`));
    expect(() => resolveHelm(undefined, { PATH: '', HOME: '/nonexistent' } as NodeJS.ProcessEnv)).toThrow(
      /^helm not found .*go install helm\.sh\/helm\/v3\/cmd\/helm@v3\.22\.0$/,
    );
    expect(() => renderChart(tinyOpts({ helm: '/nonexistent/helm' }))).toThrow(`helm /nonexistent/helm not found: install it with ${HELM_INSTALL}`);
  });

  it('a release build reports its version through helm version; another version is refused', () => {
    expect(helmVersion(fakeHelm('v3.22.0'))).toBe('v3.22.0');
    const old = fakeHelm('v3.21.0');
    expect(() => renderChart(tinyOpts({ helm: old }))).toThrow(
      new UserError(`helm at ${old} is v3.21.0; charts render with ${HELM_VERSION} (install it with ${HELM_INSTALL}, or point $HELM at it)`),
    );
  });

  it('a helm that fails before reading the values still gives its own error line (no EPIPE)', () => {
    const early = fakeHelm('v3.22.0');
    const big = { replicas: 1, labels: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v'.repeat(50)])) };
    expect(() => renderChart(tinyOpts({ helm: early, values: big }))).toThrow(new UserError('chart tiny-0.1.0: fake helm'));
  });

  it.skipIf(skipWithoutHelm)('a go-installed helm reports its module version from its build information', () => {
    const info = goModuleInfo(HELM!);
    // `helm version` of a go-installed helm says only "v3.22"; the build information is exact.
    expect(info?.main).toEqual({ path: 'helm.sh/helm/v3', version: helmVersion(HELM!) });
    expect(helmVersion(HELM!)).toBe(HELM_VERSION);
    expect(goModuleInfo(join(FIXTURE_CHARTS, 'tiny-0.1.0', 'Chart.yaml'))).toBeUndefined();
  });
});

describe.skipIf(skipWithoutHelm)('renderChart on the tiny fixture chart', () => {
  it('returns the CRD first, then the objects in Helm order, with the release namespace', () => {
    const objects = renderChart(tinyOpts({ values: { replicas: 2, labels: { team: 'a' } } }));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'CustomResourceDefinition/widgets.example.com',
      'Deployment/demo-tiny',
      'ValidatingAdmissionPolicy/demo-tiny',
    ]);
    const deploy = objects[1]!;
    expect(deploy.metadata).toEqual({
      name: 'demo-tiny',
      namespace: 'apps',
      labels: { 'app.kubernetes.io/name': 'tiny', 'app.kubernetes.io/instance': 'demo', team: 'a' },
      annotations: { 'tiny.example.com/mode': 'yes', 'tiny.example.com/kube-version': 'v1.31.0' },
    });
    expect((deploy.spec as { replicas: unknown }).replicas).toBe(2);
    // Plain JSON data: what cdk8s' ApiObject/Include take.
    expect(JSON.parse(JSON.stringify(objects))).toEqual(objects);
  });

  it('passes the Kubernetes version as x.y.z to the .Capabilities of the templates', () => {
    const kinds = (v: string) => renderChart(tinyOpts({ kubeVersion: v })).map((o) => o.kind);
    expect(kinds('1.29')).toEqual(['CustomResourceDefinition', 'Deployment']);
    expect(kinds('1.30.2')).toContain('ValidatingAdmissionPolicy');
    const deploy = renderChart(tinyOpts({ kubeVersion: '1.29' }))[1]!;
    expect((deploy.metadata.annotations as Record<string, string>)['tiny.example.com/kube-version']).toBe('v1.29.0');
  });

  it('serves a second render from the cache without running helm', () => {
    const spy = helmSpy();
    const cacheDir = tempDir('zt-helm-cache-');
    // A shell script has no Go build information, so its version is the go-installed helm's "v3.22".
    const opts = tinyOpts({ helm: spy.bin, cacheDir, requireHelmVersion: false });
    const first = renderChartDetailed(opts);
    expect(first.cached).toBe(false);
    expect(lines(spy.log).filter((l) => l.startsWith('template'))).toHaveLength(1);
    writeFileSync(spy.fail, '');
    const second = renderChartDetailed({ ...opts, kubeVersion: '1.31.0', values: { replicas: 2 } });
    expect(second).toMatchObject({ cached: true, key: first.key });
    expect(second.objects).toEqual(first.objects);
    expect(lines(spy.log).filter((l) => l.startsWith('template'))).toHaveLength(1);
    // Entries live under the cache directory, sharded by key.
    expect(readdirSync(join(cacheDir, first.key.slice(0, 2)))).toEqual([`${first.key}.json`]);
    // Other values miss the cache and reach the (now failing) helm.
    expect(() => renderChart({ ...opts, values: { replicas: 3 } })).toThrow(new UserError('chart tiny-0.1.0: helm must not run now'));
  });

  it('misses the cache when the chart changes', () => {
    const charts = tinyCopy();
    const cacheDir = tempDir('zt-helm-cache-');
    const a = renderChartDetailed(tinyOpts({ chartsDir: charts, cacheDir }));
    appendFileSync(join(charts, 'tiny-0.1.0', 'templates', 'deployment.yaml'), '    # edited\n');
    const b = renderChartDetailed(tinyOpts({ chartsDir: charts, cacheDir }));
    expect(b.cached).toBe(false);
    expect(b.key).not.toBe(a.key);
  });

  it('checks the lock when given one', () => {
    const charts = tinyCopy();
    const digest = chartDigest(join(charts, 'tiny-0.1.0'));
    expect(renderChart(tinyOpts({ chartsDir: charts, lock: { charts: [{ ...TINY, digest }] } }))).toHaveLength(3);
    appendFileSync(join(charts, 'tiny-0.1.0', 'values.yaml'), '# edited\n');
    expect(() => renderChart(tinyOpts({ chartsDir: charts, lock: { charts: [{ ...TINY, digest }] } }))).toThrow(
      /^chart tiny-0\.1\.0 in .*: digest sha256:[0-9a-f]{64} does not match charts\.lock\.json \(sha256:/,
    );
  });

  it('values the chart schema rejects are one line naming the chart', () => {
    let err: unknown;
    try {
      renderChart(tinyOpts({ values: { replicas: 'two' } }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      "chart tiny-0.1.0: values don't meet the specifications of the schema(s) in the following chart(s): tiny: - at '/replicas': got string, want integer",
    );
  });

  it('a template failure is one line naming the chart', () => {
    expect(() => renderChart(tinyOpts({ values: { replicas: 1, fail: 'no network given' } }))).toThrow(
      new UserError('chart tiny-0.1.0: execution error at (tiny/templates/deployment.yaml:1:25): no network given'),
    );
  });

  it('an unknown chart version says where it looked', () => {
    expect(() => renderChart(tinyOpts({ ref: { ...TINY, version: '0.2.0' } }))).toThrow(
      `chart tiny-0.2.0 not found: ${join(FIXTURE_CHARTS, 'tiny-0.2.0')} does not exist (run pnpm charts pull)`,
    );
  });
});

describe.skipIf(skipWithoutUpstream)('renderChart on upstream charts (../shared/upstream/charts)', () => {
  const lock = readLock(join(REPO, 'charts.lock.json'));
  const gateway = { chart: 'gateway', version: '1.0.0', repository: 'oci://ghcr.io/twingate/helmcharts' };

  it('renders gateway 1.0.0 with minimal values, verified against charts.lock.json', () => {
    // tls.existingSecret: by default the chart generates a CA and key at render time (see below).
    const values = { twingate: { network: 'acme' }, tls: { existingSecret: 'gateway-tls' } };
    const opts = {
      chartsDir: UPSTREAM_CHARTS,
      ref: gateway,
      releaseName: 'gateway',
      namespace: 'twingate',
      kubeVersion: '1.31',
      values,
      lock,
      cacheDir: tempDir(),
    };
    const objects = renderChart(opts);
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding', 'Service', 'Deployment']);
    expect(objects.every((o) => o.metadata.name.startsWith('gateway'))).toBe(true);
    // Helm does not add metadata.namespace: the chart's templates do not set it.
    expect(objects.filter((o) => o.metadata.namespace)).toEqual([]);
    expect(renderChart(opts)).toEqual(objects);
  });

  it('gateway without its required network is one line', () => {
    expect(() =>
      renderChart({
        chartsDir: UPSTREAM_CHARTS,
        ref: gateway,
        releaseName: 'gateway',
        namespace: 'twingate',
        kubeVersion: '1.31',
        values: {},
        lock,
        cacheDir: false,
      }),
    ).toThrow(new UserError('chart gateway-1.0.0: execution error at (gateway/templates/gateway-configmap.yaml:10:18): twingate.network is required'));
  });

  it('gateway with default TLS is not reproducible: it generates a new key on every render', () => {
    const opts = {
      chartsDir: UPSTREAM_CHARTS,
      ref: gateway,
      releaseName: 'gateway',
      namespace: 'twingate',
      kubeVersion: '1.31',
      values: { twingate: { network: 'acme' } },
      cacheDir: false as const,
    };
    const key = () => (renderChart(opts).find((o) => o.kind === 'Secret')?.data as Record<string, string> | undefined)?.['tls.key'];
    expect(key()).toMatch(/^[A-Za-z0-9+/=]{100,}$/);
    expect(key()).not.toBe(key());
  });
});
