/**
 * pullCharts against a Helm repository served on loopback (node:http on 127.0.0.1): the chart is
 * packaged with `helm package`, indexed with `helm repo index`, pulled, unpacked into
 * `<chart>-<version>/` and locked; a re-pull is skipped; a re-published version is refused.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLock, writeLock } from '../../lib/charts/lock';
import { pullArgs, pullCharts } from '../../lib/charts/pull';
import { chartDigest } from '../../lib/charts/source';
import { main } from '../../lib/cli/charts';
import { UserError } from '../../lib/errors';
import { FIXTURE_CHARTS, fakeHelm, HELM, skipWithoutHelm, tempDir } from './helpers';

describe('pullArgs', () => {
  it('uses oci://<repo>/<chart> for registries and --repo for Helm repositories', () => {
    expect(pullArgs({ chart: 'gateway', version: '1.0.0', repository: 'oci://ghcr.io/twingate/helmcharts' }, '/t')).toEqual([
      'pull',
      'oci://ghcr.io/twingate/helmcharts/gateway',
      '--version',
      '1.0.0',
      '--untar',
      '--untardir',
      '/t',
    ]);
    expect(pullArgs({ chart: 'connector', version: '0.1.35', repository: 'https://twingate.github.io/helm-charts' }, '/t')).toEqual([
      'pull',
      'connector',
      '--repo',
      'https://twingate.github.io/helm-charts',
      '--version',
      '0.1.35',
      '--untar',
      '--untardir',
      '/t',
    ]);
    expect(() => pullArgs({ chart: 'x', version: '1', repository: 'git@github.com:x/y' }, '/t')).toThrow(
      new UserError('chart x-1: repository "git@github.com:x/y" is neither oci:// nor http(s)://'),
    );
  });
});

describe('pnpm charts pull', () => {
  it('pulls the chart versions the environments render, with the given helm; a failed pull is one line, exit 1, nothing written', async () => {
    const chartsDir = join(tempDir(), 'charts');
    const lockFile = join(tempDir(), 'charts.lock.json');
    const err: string[] = [];
    const code = await main(['pull', '--charts-dir', chartsDir, '--lock', lockFile, '--helm', fakeHelm('v3.22.0')], { out: () => {}, err: (l) => err.push(l) });
    expect(code).toBe(1);
    // The environments render argo-cd 10.1.1, cert-manager v1.21.1, connector 0.1.35 (staging), external-secrets 2.9.0, gateway 1.0.0 and twingate-operator 2.0.0; the first fails.
    expect(err).toEqual(['error: chart argo-cd-10.1.1: helm pull from https://argoproj.github.io/argo-helm failed: fake helm']);
    expect(readdirSync(chartsDir)).toEqual([]);
    expect(existsSync(lockFile)).toBe(false);
  });
});

describe.skipIf(skipWithoutHelm)('pullCharts from a loopback Helm repository', () => {
  let server: Server;
  let repoDir: string;
  let url: string;
  const requests: string[] = [];
  const helm = HELM ?? 'helm';

  /** Packages a copy of the tiny chart (optionally edited) into the served repository and re-indexes it. */
  function publish(edit?: string) {
    const src = join(tempDir(), 'tiny');
    cpSync(join(FIXTURE_CHARTS, 'tiny-0.1.0'), src, { recursive: true });
    if (edit) appendFileSync(join(src, 'values.yaml'), edit);
    execFileSync(helm, ['package', src, '--destination', repoDir], { stdio: 'pipe' });
    execFileSync(helm, ['repo', 'index', repoDir, '--url', url], { stdio: 'pipe' });
  }

  beforeAll(async () => {
    repoDir = join(tempDir('zt-chart-repo-'), 'repo');
    mkdirSync(repoDir);
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const file = join(repoDir, (req.url ?? '/').split('?')[0]!.replace(/^\/+/, ''));
      if (!file.startsWith(repoDir) || !existsSync(file)) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200).end(readFileSync(file));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('pulls, unpacks into <chart>-<version>/, locks; a second pull fetches nothing; a changed chart is refused', async () => {
    publish();
    const ref = { chart: 'tiny', version: '0.1.0', repository: url };
    const chartsDir = join(tempDir(), 'charts');
    const lockFile = join(tempDir(), 'charts.lock.json');
    const log: string[] = [];
    requests.length = 0;

    const first = await pullCharts([ref], { chartsDir, lockFile, helm, log: (l) => log.push(l) });
    const folder = join(chartsDir, 'tiny-0.1.0');
    expect(readdirSync(chartsDir)).toEqual(['tiny-0.1.0']); // the temp folder is gone
    expect(readdirSync(folder).sort()).toEqual(['Chart.yaml', 'crds', 'templates', 'values.schema.json', 'values.yaml']);
    const digest = chartDigest(folder);
    expect(first).toEqual({ pulled: [{ ...ref, digest }], current: [] });
    expect(readLock(lockFile)).toEqual({ charts: [{ ...ref, digest }] });
    expect(requests).toEqual(['/index.yaml', '/tiny-0.1.0.tgz']);
    expect(log).toEqual([`tiny-0.1.0: pulled from ${url} (${digest.slice(0, 19)}...)`]);

    requests.length = 0;
    expect(await pullCharts([ref], { chartsDir, lockFile, helm })).toEqual({ pulled: [], current: [{ ...ref, digest }] });
    expect(requests).toEqual([]);

    // The publisher re-pushes 0.1.0 with other content: refused, the folder and the lock are kept.
    publish('# re-published\n');
    cpSync(folder, join(tempDir(), 'keep'), { recursive: true });
    appendFileSync(join(folder, 'values.yaml'), '# local edit, so the folder is not up to date\n');
    const refused = pullCharts([ref], { chartsDir, lockFile, helm });
    await expect(refused).rejects.toThrow(UserError);
    await expect(refused).rejects.toThrow(
      new RegExp(
        `^chart tiny-0\\.1\\.0 from ${url.replace(/\./g, '\\.')}: digest sha256:[0-9a-f]{64} does not match charts\\.lock\\.json \\(${digest}\\); if the new content is expected, run pnpm charts pull --update$`,
      ),
    );
    expect(readLock(lockFile).charts[0]!.digest).toBe(digest);
    expect(readdirSync(chartsDir)).toEqual(['tiny-0.1.0']);

    // --update accepts it: folder swapped, lock rewritten.
    const updated = await pullCharts([ref], { chartsDir, lockFile, helm, update: true });
    const newDigest = chartDigest(folder);
    expect(newDigest).not.toBe(digest);
    expect(updated.pulled).toEqual([{ ...ref, digest: newDigest }]);
    expect(readLock(lockFile).charts).toEqual([{ ...ref, digest: newDigest }]);
    expect(readFileSync(join(folder, 'values.yaml'), 'utf8')).toContain('# re-published');
  });

  it('keeps the other charts of the lock and names a version the repository lacks', async () => {
    publish();
    const chartsDir = join(tempDir(), 'charts');
    const lockFile = join(tempDir(), 'charts.lock.json');
    const other = { chart: 'other', version: '1.0.0', repository: 'oci://example.com/charts', digest: `sha256:${'c'.repeat(64)}` };
    writeLock(lockFile, [other]);
    await pullCharts([{ chart: 'tiny', version: '0.1.0', repository: url }], { chartsDir, lockFile, helm });
    expect(readLock(lockFile).charts.map((c) => c.chart)).toEqual(['other', 'tiny']);

    const missing = pullCharts([{ chart: 'tiny', version: '9.9.9', repository: url }], { chartsDir, lockFile, helm });
    await expect(missing).rejects.toThrow(UserError);
    await expect(missing).rejects.toThrow(new RegExp(`^chart tiny-9\\.9\\.9: helm pull from ${url.replace(/\./g, '\\.')} failed: .*9\\.9\\.9`));
    expect(readdirSync(chartsDir)).toEqual(['tiny-0.1.0']);
  });
});
