/** charts.lock.json: format, reading, verification messages, and the `pnpm charts lock|verify` CLI. */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareVersions, type LockEntry, readLock, verifyChart, verifyDirectory, writeLock } from '../../lib/charts/lock';
import { chartDigest } from '../../lib/charts/source';
import { main } from '../../lib/cli/charts';
import { UserError } from '../../lib/errors';
import { REPO, TINY, tempDir, tinyCopy } from './helpers';

const D = (c: string) => `sha256:${c.repeat(64)}`;

function capture() {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, io: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) } };
}

describe('lock file', () => {
  it('is sorted by chart then version, 2-space JSON with a final newline, and reads back', () => {
    const file = join(tempDir(), 'charts.lock.json');
    const entries: LockEntry[] = [
      { chart: 'b', version: '0.1.10', repository: 'oci://r', digest: D('1') },
      { digest: D('2'), repository: 'oci://r', version: '0.1.9', chart: 'b' },
      { chart: 'a', version: 'v1.0.0', repository: 'https://x', digest: D('3') },
    ];
    writeLock(file, entries);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(
      `${JSON.stringify(
        {
          charts: [
            { chart: 'a', version: 'v1.0.0', repository: 'https://x', digest: D('3') },
            { chart: 'b', version: '0.1.9', repository: 'oci://r', digest: D('2') },
            { chart: 'b', version: '0.1.10', repository: 'oci://r', digest: D('1') },
          ],
        },
        null,
        2,
      )}\n`,
    );
    expect(readLock(file).charts.map((c) => `${c.chart}-${c.version}`)).toEqual(['a-v1.0.0', 'b-0.1.9', 'b-0.1.10']);
  });

  it('orders versions numerically', () => {
    expect(['1.10.0', '1.9.0', 'v1.2.0', '1.9.0-rc.1'].sort(compareVersions)).toEqual(['1.9.0', '1.9.0-rc.1', '1.10.0', 'v1.2.0']);
  });

  it('refuses a malformed lock in one line', () => {
    const file = join(tempDir(), 'charts.lock.json');
    expect(() => readLock(file)).toThrow(`${file} does not exist (run pnpm charts pull, or pnpm charts lock --charts-dir <dir>)`);
    writeFileSync(file, '{"charts": [{"chart": "a", "version": "1", "repository": "oci://r", "digest": "md5:x"}]}');
    expect(() => readLock(file)).toThrow(`${file}: charts[0].digest "md5:x" is not sha256:<64 hex digits>`);
    writeFileSync(file, '{"charts": {}}');
    expect(() => readLock(file)).toThrow(`${file}: expected an object with a "charts" array`);
  });

  it('the committed charts.lock.json is valid and in its canonical form', () => {
    const file = join(REPO, 'charts.lock.json');
    const lock = readLock(file);
    expect(lock.charts.length).toBeGreaterThanOrEqual(11);
    const again = join(tempDir(), 'again.json');
    writeLock(again, lock.charts);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(file, 'utf8'));
  });
});

describe('verifyChart', () => {
  it('returns the digest when the folder matches', () => {
    const dir = join(tinyCopy(), 'tiny-0.1.0');
    const digest = chartDigest(dir);
    expect(verifyChart({ charts: [{ ...TINY, digest }] }, TINY, dir)).toBe(digest);
  });

  it('names a version missing from the lock', () => {
    const dir = join(tinyCopy(), 'tiny-0.1.0');
    const lock = { charts: [{ ...TINY, version: '0.0.9', digest: D('a') }] };
    expect(() => verifyChart(lock, TINY, dir)).toThrow(new UserError('chart tiny version 0.1.0 is not in charts.lock.json (run pnpm charts pull)'));
  });

  it('names both digests when the folder was changed', () => {
    const dir = join(tinyCopy(), 'tiny-0.1.0');
    const locked = chartDigest(dir);
    appendFileSync(join(dir, 'templates', 'deployment.yaml'), '# local edit\n');
    const now = chartDigest(dir);
    expect(() => verifyChart({ charts: [{ ...TINY, digest: locked }] }, TINY, dir)).toThrow(
      new UserError(`chart tiny-0.1.0 in ${dir}: digest ${now} does not match charts.lock.json (${locked})`),
    );
  });

  it('refuses a chart locked from another repository', () => {
    const dir = join(tinyCopy(), 'tiny-0.1.0');
    const lock = { charts: [{ ...TINY, repository: 'oci://elsewhere', digest: chartDigest(dir) }] };
    expect(() => verifyChart(lock, TINY, dir)).toThrow(
      'chart tiny-0.1.0 is locked from oci://elsewhere in charts.lock.json, not https://charts.example.com (run pnpm charts pull)',
    );
  });
});

describe('verifyDirectory', () => {
  it('requires the required charts, checks the present ones, reports the rest', () => {
    const dir = tinyCopy();
    const lock = {
      charts: [
        { ...TINY, digest: chartDigest(join(dir, 'tiny-0.1.0')) },
        { ...TINY, chart: 'gone', digest: D('b') },
      ],
    };
    expect(verifyDirectory(dir, lock)).toEqual({ ok: ['tiny-0.1.0'], errors: [], absent: ['gone-0.1.0'], unlocked: [] });
    const r = verifyDirectory(dir, lock, { required: [{ ...TINY, chart: 'gone' }] });
    expect(r.errors).toEqual([`chart gone-0.1.0 not found: ${join(dir, 'gone-0.1.0')} does not exist (run pnpm charts pull)`]);
    expect(verifyDirectory(dir, { charts: [] }).unlocked).toEqual(['tiny-0.1.0']);
  });
});

describe('pnpm charts lock / verify', () => {
  it('locks a directory, then verifies it, then catches an edit', async () => {
    const dir = tinyCopy();
    const lockFile = join(tempDir(), 'charts.lock.json');
    const noRepo = capture();
    expect(await main(['lock', '--charts-dir', dir, '--lock', lockFile], noRepo.io)).toBe(1);
    expect(noRepo.lines.err).toEqual([`error: chart tiny-0.1.0 in ${join(dir, 'tiny-0.1.0')}: no repository known for tiny (pass --repository tiny=<url>)`]);
    expect(existsSync(lockFile)).toBe(false);

    const locked = capture();
    expect(await main(['lock', '--charts-dir', dir, '--lock', lockFile, '--repository', `tiny=${TINY.repository}`], locked.io)).toBe(0);
    expect(locked.lines.out).toEqual([`charts lock: 1 charts from ${dir} -> ${lockFile} (1 added, 0 changed, 0 removed)`]);
    expect(readLock(lockFile).charts).toEqual([{ ...TINY, digest: chartDigest(join(dir, 'tiny-0.1.0')) }]);

    // The repository is kept from the lock on the next run.
    const again = capture();
    expect(await main(['lock', '--charts-dir', dir, '--lock', lockFile], again.io)).toBe(0);
    expect(again.lines.out[0]).toContain('(0 added, 0 changed, 0 removed)');

    const ok = capture();
    // The 11 pinned charts are absent (Twingate, Tailscale, SPIRE, VPC Lattice, Kyverno and the prerequisites), and crds.lock.json beside the lock (the upstream CRD files).
    expect(await main(['verify', '--charts-dir', dir, '--lock', lockFile], ok.io)).toBe(1);
    expect(ok.lines.err.at(-1)).toMatch(/^error: charts verify: 12 problem\(s\); 1 charts in .* match /);
    expect(ok.lines.err).toContain(
      `error: ${join(dirname(lockFile), 'crds.lock.json')} does not exist (run pnpm charts pull, or pnpm charts lock --crds-dir <dir>)`,
    );

    appendFileSync(join(dir, 'tiny-0.1.0', 'values.yaml'), '# edit\n');
    const bad = capture();
    expect(await main(['verify', '--charts-dir', dir, '--lock', lockFile], bad.io)).toBe(1);
    expect(bad.lines.err).toContain(
      `error: chart tiny-0.1.0 in ${join(dir, 'tiny-0.1.0')}: digest ${chartDigest(join(dir, 'tiny-0.1.0'))} does not match charts.lock.json (${readLock(lockFile).charts[0]!.digest})`,
    );
  });

  it('a user error is one line and exit 1', async () => {
    const c = capture();
    expect(await main(['lock', '--charts-dir', join(tempDir(), 'nope')], c.io)).toBe(1);
    expect(c.lines.err).toEqual([expect.stringMatching(/^error: charts directory .*nope does not exist$/)]);
  });
});
