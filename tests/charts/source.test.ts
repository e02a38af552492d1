/** Chart folders: content digest (deterministic, change-detecting, symlink-safe) and lookup. */
import { appendFileSync, cpSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedChartDigest, chartDigest, chartFiles, locateChart, scanChartsDir } from '../../lib/charts/source';
import { UserError } from '../../lib/errors';
import { FIXTURE_CHARTS, TINY, tempDir, tinyCopy } from './helpers';

const tiny = (charts: string) => join(charts, 'tiny-0.1.0');

describe('chartDigest', () => {
  it('is sha256 over paths and contents, the same for a copy, whatever the times', () => {
    const a = chartDigest(join(FIXTURE_CHARTS, 'tiny-0.1.0'));
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    const copy = tiny(tinyCopy());
    utimesSync(join(copy, 'Chart.yaml'), new Date(0), new Date(0));
    expect(chartDigest(copy)).toBe(a);
    expect(chartDigest(copy)).toBe(a);
  });

  it('changes when a file changes, is added, removed or renamed', () => {
    const copy = tiny(tinyCopy());
    const seen = new Set([chartDigest(copy)]);
    appendFileSync(join(copy, 'values.yaml'), '# edited\n');
    seen.add(chartDigest(copy));
    writeFileSync(join(copy, 'templates', 'extra.yaml'), '');
    seen.add(chartDigest(copy));
    renameSync(join(copy, 'templates', 'extra.yaml'), join(copy, 'templates', 'extra2.yaml'));
    seen.add(chartDigest(copy));
    rmSync(join(copy, 'templates', 'extra2.yaml'));
    seen.add(chartDigest(copy));
    // 4 distinct changes; removing the empty file gives back the state after the edit.
    expect(seen.size).toBe(4);
  });

  it('does not confuse moving bytes between a path and the content', () => {
    const d1 = tempDir();
    const d2 = tempDir();
    writeFileSync(join(d1, 'ab'), 'c');
    writeFileSync(join(d2, 'a'), 'bc');
    expect(chartDigest(d1)).not.toBe(chartDigest(d2));
  });

  it('lists files with / separators in code-unit order, empty directories ignored', () => {
    const d = tempDir();
    mkdirSync(join(d, 'templates', 'empty'), { recursive: true });
    writeFileSync(join(d, 'b.yaml'), '');
    writeFileSync(join(d, 'B.yaml'), '');
    writeFileSync(join(d, 'templates', 'a.yaml'), '');
    expect(chartFiles(d).map((f) => f.path)).toEqual(['B.yaml', 'b.yaml', 'templates/a.yaml']);
  });

  it('hashes a symlink inside the folder as a link, refuses one that leaves it', () => {
    const copy = tiny(tinyCopy());
    const before = chartDigest(copy);
    symlinkSync('values.yaml', join(copy, 'link.yaml'));
    expect(chartFiles(copy).find((f) => f.path === 'link.yaml')).toEqual({ path: 'link.yaml', link: 'values.yaml' });
    expect(chartDigest(copy)).not.toBe(before);
    const outside = join(tempDir(), 'secret.txt');
    writeFileSync(outside, 'x');
    symlinkSync(outside, join(copy, 'out.txt'));
    expect(() => chartDigest(copy)).toThrow(UserError);
    expect(() => chartDigest(copy)).toThrow(/symbolic link out\.txt points outside the folder/);
  });

  it('is memoised per folder, and recomputed when a file is edited', () => {
    const copy = tiny(tinyCopy());
    const a = cachedChartDigest(copy);
    expect(cachedChartDigest(copy)).toBe(a);
    writeFileSync(join(copy, 'values.yaml'), 'replicas: 3\nimage: x\n');
    expect(cachedChartDigest(copy)).toBe(chartDigest(copy));
    expect(cachedChartDigest(copy)).not.toBe(a);
  });
});

describe('locateChart', () => {
  it('finds <chart>-<version>/ in the charts directory', () => {
    expect(locateChart(FIXTURE_CHARTS, TINY)).toBe(join(FIXTURE_CHARTS, 'tiny-0.1.0'));
  });

  it('says in one line which chart, where it looked and what to run', () => {
    const dir = tempDir();
    expect(() => locateChart(dir, { ...TINY, version: '9.9.9' })).toThrow(
      new UserError(`chart tiny-9.9.9 not found: ${join(dir, 'tiny-9.9.9')} does not exist (run pnpm charts pull)`),
    );
    mkdirSync(join(dir, 'tiny-0.1.0'));
    expect(() => locateChart(dir, TINY)).toThrow(`chart tiny-0.1.0 not found: ${join(dir, 'tiny-0.1.0')} has no Chart.yaml (run pnpm charts pull)`);
  });
});

describe('scanChartsDir', () => {
  it('lists chart folders by their Chart.yaml, ignoring other entries', () => {
    const dir = tinyCopy();
    writeFileSync(join(dir, 'README.md'), '# charts\n');
    mkdirSync(join(dir, 'not-a-chart'));
    expect(scanChartsDir(dir)).toEqual([{ dir: join(dir, 'tiny-0.1.0'), chart: 'tiny', version: '0.1.0' }]);
  });

  it('refuses a folder not named after its Chart.yaml', () => {
    const dir = tinyCopy();
    cpSync(join(dir, 'tiny-0.1.0'), join(dir, 'tiny'), { recursive: true });
    expect(() => scanChartsDir(dir)).toThrow(`chart folder ${join(dir, 'tiny')}: its Chart.yaml says tiny 0.1.0, so the folder must be named tiny-0.1.0`);
  });
});
