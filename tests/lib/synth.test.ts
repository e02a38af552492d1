/**
 * The synth contract: every environment rendered, deterministic bytes whatever the clock or
 * locale, atomic writes, stale files removed, `--env` scoped, `--check` for CI.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import devInput from '../../environments/dev';
import { main as synth } from '../../lib/cli/synth';
import { loadEnvironments } from '../../lib/load';
import { DIST_MARKER, DIST_MARKER_CONTENT, fileNameFor, readTree, toYaml, writeTree } from '../../lib/output';
import { defaultChartsDir, synthesize } from '../../lib/synth';
import { captureIo, environmentsDir, REPO, tempDir } from '../support';

function runSynth(out: string, env: Record<string, string>) {
  return spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['lib/cli/synth.ts', '--out', out], {
    cwd: REPO,
    encoding: 'utf8',
    // An empty YAML memo per run (lib/cli/yaml-memo.ts): each run turns every object into YAML itself.
    env: { ...process.env, ZT_SYNTH_CACHE: join(out, '..', `${out.split('/').pop()}-yaml-memo.json`), ...env },
  });
}

describe('pnpm synth', () => {
  it('renders every environment and component, and prints a summary line', async () => {
    const out = join(tempDir(), 'dist');
    const io = captureIo();
    expect(await synth(['--out', out], io)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(expect.arrayContaining(['dev', 'lab', 'prod', 'staging']));
    for (const env of ['dev', 'lab', 'prod', 'staging']) {
      expect(readdirSync(join(out, env))).toEqual(expect.arrayContaining(['namespaces', 'network-policy', 'whoami']));
    }
    expect(io.lines.out).toHaveLength(1);
    expect(io.lines.out[0]).toMatch(
      /^synth: 7 environments \(dev, lab, lattice-cluster1, lattice-cluster2, prod, staging, urlshort\), \d+ components, \d+ objects, \d+ files in \d+ ms -> /,
    );
  });

  it('writes one object per file, named after its kind, namespace and name', async () => {
    const out = join(tempDir(), 'dist');
    expect(await synth(['--out', out], captureIo())).toBe(0);
    const tree = readTree(out);
    let manifests = 0;
    for (const [path, content] of tree) {
      if (!path.endsWith('.yaml')) continue;
      const docs = parseAllDocuments(content).map((d) => d.toJS());
      if (!docs[0]?.kind) continue; // not a Kubernetes object (e.g. Helm values)
      manifests++;
      expect(docs, path).toHaveLength(1);
      expect(path.split('/').pop()).toBe(fileNameFor(docs[0]));
    }
    expect(manifests).toBeGreaterThan(20);
  });

  it('gives identical bytes under different time zones and locales, equal to the committed dist/', () => {
    const a = join(tempDir(), 'a');
    const b = join(tempDir(), 'b');
    const runA = runSynth(a, { TZ: 'UTC', LANG: 'C', LC_ALL: 'C' });
    const runB = runSynth(b, { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' });
    expect(runA.status, runA.stderr).toBe(0);
    expect(runB.status, runB.stderr).toBe(0);
    const treeA = readTree(a);
    expect(treeA.size).toBeGreaterThan(20);
    expect(readTree(b)).toEqual(treeA);
    // The committed output is what synth renders (CI also checks this with git).
    expect(readTree(join(REPO, 'dist'))).toEqual(treeA);
  });

  it('removes stale files and directories', async () => {
    const out = join(tempDir(), 'dist');
    mkdirSync(join(out, 'dev', 'retired-component'), { recursive: true });
    writeFileSync(join(out, DIST_MARKER), DIST_MARKER_CONTENT); // synth only replaces a tree it wrote
    writeFileSync(join(out, 'dev', 'retired-component', 'deployment.x.old.yaml'), 'kind: Deployment\n');
    mkdirSync(join(out, 'dev', 'whoami'), { recursive: true });
    writeFileSync(join(out, 'dev', 'whoami', 'leftover.yaml'), 'x: 1\n');
    expect(await synth(['--out', out], captureIo())).toBe(0);
    expect(existsSync(join(out, 'dev', 'retired-component'))).toBe(false);
    expect(existsSync(join(out, 'dev', 'whoami', 'leftover.yaml'))).toBe(false);
  });

  it('--env re-renders only that environment and keeps the others as they are', async () => {
    const out = join(tempDir(), 'dist');
    expect(await synth(['--out', out], captureIo())).toBe(0);
    const marker = join(out, 'prod', 'marker.txt');
    writeFileSync(marker, 'kept');
    writeFileSync(join(out, 'dev', 'stale.yaml'), 'stale');
    const io = captureIo();
    expect(await synth(['--env', 'dev', '--out', out], io)).toBe(0);
    expect(io.lines.out[0]).toMatch(/^synth: 1 environment \(dev\), /);
    expect(existsSync(marker)).toBe(true);
    expect(existsSync(join(out, 'dev', 'stale.yaml'))).toBe(false);
  });

  it('--check passes on a fresh render and fails, with a diff, on an edited one', async () => {
    const out = join(tempDir(), 'dist');
    expect(await synth(['--out', out], captureIo())).toBe(0);
    const ok = captureIo();
    expect(await synth(['--check', '--out', out], ok)).toBe(0);

    const edited = join(out, 'dev', 'whoami', 'service.whoami.whoami.yaml');
    writeFileSync(edited, readTree(out).get('dev/whoami/service.whoami.whoami.yaml')!.replace('port: 80', 'port: 81'));
    const before = readTree(out);
    const bad = captureIo();
    expect(await synth(['--check', '--out', out], bad)).toBe(1);
    expect(bad.lines.err.at(-1)).toMatch(
      /^error: 1 file\(s\) in .* differ from what synth renders \(first: dev\/whoami\/service\.whoami\.whoami\.yaml\); run pnpm synth and commit dist\/$/,
    );
    expect(bad.lines.err.join('\n')).toMatch(/^-\s+port: 81$/m);
    expect(bad.lines.err.join('\n')).toMatch(/^\+\s+port: 80$/m);
    expect(readTree(out)).toEqual(before);
  });
});

describe('writeTree', () => {
  it('leaves the output directory as it was when writing fails', () => {
    const out = join(tempDir(), 'dist');
    writeTree(out, [{ path: 'dev/a/x.yaml', content: 'a: 1\n' }]);
    const before = readTree(out);
    // `dev/a/x.yaml` as a file and as a directory cannot both exist: the second write throws.
    expect(() =>
      writeTree(out, [
        { path: 'dev/a/x.yaml', content: 'a: 2\n' },
        { path: 'dev/a/x.yaml/y.yaml', content: 'b: 2\n' },
      ]),
    ).toThrow();
    expect(readTree(out)).toEqual(before);
    expect(readdirSync(dirname(out)).sort()).toEqual(['dist']);
  });
});

describe('toYaml', () => {
  it('sorts keys and quotes strings that YAML 1.1 readers would turn into booleans', () => {
    expect(toYaml({ b: 'on', a: 'yes', c: { z: 'no', y: 'n' } })).toBe('a: "yes"\nb: "on"\nc:\n  "y": "n"\n  z: "no"\n');
  });
});

describe('upstream charts at synth time', () => {
  /** A copy of the configured charts directory that a test may break. */
  function chartsCopy(): string {
    const dir = join(tempDir('zt-charts-'), 'charts');
    cpSync(defaultChartsDir(), dir, { recursive: true });
    return dir;
  }

  /** Synth into an existing tree; the tree must be left byte-identical when synth fails. */
  async function failing(args: string[]) {
    const out = join(tempDir(), 'dist');
    expect(await synth(['--out', out], captureIo())).toBe(0);
    const before = readTree(out);
    const io = captureIo();
    const code = await synth(['--out', out, ...args], io);
    expect(readTree(out)).toEqual(before);
    return { code, err: io.lines.err };
  }

  it('renders every chart component from the charts directory: objects in dist/, namespaced, chart CRDs included', async () => {
    const out = join(tempDir(), 'dist');
    expect(await synth(['--out', out], captureIo())).toBe(0);
    const tree = readTree(out);
    expect(tree.has('dev/twingate-operator/deployment.twingate.twingate-operator.yaml')).toBe(true);
    expect(tree.has('dev/twingate-operator/customresourcedefinition.twingateresources.twingate.com.yaml')).toBe(true);
    expect(tree.has('dev/twingate-access-gateway/deployment.twingate.twingate-gateway.yaml')).toBe(true);
    expect(tree.has('staging/twingate-connector/deployment.twingate.twingate-connector.yaml')).toBe(true);
    // Helm's output names no namespace for most objects; synth sets the component's.
    expect(tree.get('dev/twingate-access-gateway/service.twingate.twingate-gateway.yaml')).toContain('namespace: twingate');
  });

  it('without the charts, unchanged chart inputs reuse the chart output of the previous tree: same bytes, no Helm', async () => {
    const out = join(tempDir(), 'dist');
    expect(await synth(['--out', out], captureIo())).toBe(0);
    const before = readTree(out);
    const io = captureIo();
    expect(await synth(['--out', out, '--charts', tempDir('zt-no-charts-')], io)).toBe(0);
    expect(readTree(out)).toEqual(before);
    expect(JSON.parse(before.get('dev/twingate-access-gateway/component.json')!).component.chart.renderedFrom).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a missing chart whose inputs changed: one line naming environment, component and chart, exit 1, dist/ untouched', async () => {
    const empty = tempDir('zt-no-charts-');
    // One more gateway replica changes the gateway chart's values: the previous output no longer fits.
    const envDir = environmentsDir('dev', JSON.stringify({ ...devInput, twingate: { ...devInput.twingate, gateway: { replicas: 3 } } }));
    const r = await failing(['--charts', empty, '--environments', envDir]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `error: environment dev: component twingate-access-gateway: chart gateway-1.0.0 not found: ${join(empty, 'gateway-1.0.0')} does not exist (run pnpm charts pull)`,
    ]);
  });

  it('a chart whose content differs from charts.lock.json: one line naming it, exit 1, dist/ untouched', async () => {
    const charts = chartsCopy();
    writeFileSync(join(charts, 'gateway-1.0.0', 'values.yaml'), '# edited\n', { flag: 'a' });
    const r = await failing(['--charts', charts]);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(
      /^error: environment dev: component twingate-access-gateway: chart gateway-1\.0\.0 in .*: digest sha256:[0-9a-f]{64} does not match charts\.lock\.json \(sha256:[0-9a-f]{64}\)$/,
    );
  });

  it('a version that is not in the lock: one line naming it, exit 1, dist/ untouched', async () => {
    const charts = chartsCopy();
    cpSync(join(charts, 'gateway-1.0.0'), join(charts, 'gateway-1.0.1'), { recursive: true });
    const envDir = environmentsDir('dev', JSON.stringify({ ...devInput, charts: { gateway: '1.0.1' } }));
    const r = await failing(['--charts', charts, '--environments', envDir]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'error: environment dev: component twingate-access-gateway: chart gateway version 1.0.1 is not in charts.lock.json (run pnpm charts pull)',
    ]);
  });

  it("a chart that fails to render (in-process, lock off): one line with helm's reason", async () => {
    const charts = chartsCopy();
    writeFileSync(join(charts, 'gateway-1.0.0', 'templates', 'broken.yaml'), '{{ fail "this chart is broken" }}\n');
    const env = await loadEnvironments(undefined, ['dev']);
    expect(() => synthesize(env, { charts: { dir: charts, lock: false, cacheDir: false } })).toThrow(
      /^environment dev: component twingate-access-gateway: chart gateway-1\.0\.0: .*this chart is broken$/,
    );
  });
});
