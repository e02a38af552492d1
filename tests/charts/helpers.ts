/**
 * Helpers for the chart-engine suites (lib/charts/), kept apart from tests/helpers.ts so these
 * suites load nothing of synth. Suites that run helm skip on a developer machine without it,
 * never under CI (where a missing helm must fail them).
 */
import { chmodSync, cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findHelm } from '../../lib/charts/template';
import { tempDir as sharedTempDir } from '../support/temp-dirs';

export const REPO = join(__dirname, '..', '..');
/** Charts made for these tests: `tiny-0.1.0/` (Deployment, CRD, schema, kube-version capability). */
export const FIXTURE_CHARTS = join(REPO, 'tests', 'fixtures', 'charts');
export const TINY = { chart: 'tiny', version: '0.1.0', repository: 'https://charts.example.com' };

/** The real helm (`$HELM`, PATH, `go install` location). */
export const HELM = findHelm();
export const skipWithoutHelm = !process.env.CI && !HELM;

/** The shared data folder beside the checkout, as tests/helpers.ts finds it. */
const SHARED = process.env.SHARED ?? [join(REPO, '..', 'shared'), join(REPO, '..', '..', 'shared')].find((d) => existsSync(d)) ?? join(REPO, '..', 'shared');
export const UPSTREAM_CHARTS = join(SHARED, 'upstream', 'charts');
export const skipWithoutUpstream = !process.env.CI && (!existsSync(UPSTREAM_CHARTS) || !HELM);

/** A temp directory removed after the current test (tests/support/temp-dirs.ts, cleaned by tests/support/setup.ts). */
export const tempDir = (prefix = 'zt-charts-'): string => sharedTempDir(prefix);

/** A temp charts directory holding a copy of the tiny fixture chart. */
export function tinyCopy(): string {
  const dir = tempDir('zt-charts-dir-');
  cpSync(join(FIXTURE_CHARTS, 'tiny-0.1.0'), join(dir, 'tiny-0.1.0'), { recursive: true });
  return dir;
}

/**
 * A helm stand-in that logs every invocation (one line of arguments to `log`) and runs the real
 * helm, except that once `fail` exists it exits 1 without running anything: a render that still
 * succeeds then must have come from the cache.
 */
export function helmSpy(): { bin: string; log: string; fail: string } {
  const dir = tempDir('zt-helm-spy-');
  const bin = join(dir, 'helm');
  const log = join(dir, 'log');
  const fail = join(dir, 'fail');
  writeFileSync(log, '');
  writeFileSync(
    bin,
    [
      '#!/bin/sh',
      `echo "$*" >> '${log}'`,
      `if [ -e '${fail}' ]; then echo "Error: helm must not run now" >&2; exit 1; fi`,
      `exec '${HELM ?? 'helm'}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(bin, 0o755);
  return { bin, log, fail };
}

/** A fake helm that only answers `version` with `version` (and fails anything else). */
export function fakeHelm(version: string): string {
  const dir = tempDir('zt-helm-fake-');
  const bin = join(dir, 'helm');
  writeFileSync(bin, `#!/bin/sh\nif [ "$1" = version ]; then printf '%s' '${version}'; exit 0; fi\necho "Error: fake helm" >&2\nexit 1\n`);
  chmodSync(bin, 0o755);
  return bin;
}
