import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../support';

/** `pnpm e2e` as a user runs it, stopped before anything is built or started. */
const e2e = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'e2e', 'main.ts'), ...args], { cwd: REPO, encoding: 'utf8' });

describe('pnpm e2e user errors: one line, exit 1, nothing built or started', () => {
  it('names an unknown unit and the units there are', () => {
    const dist = tempDir('zt-e2e-cli-');
    for (const d of ['prod', 'dev', 'argocd']) mkdirSync(join(dist, d));
    const r = e2e('--dist', dist, '--env', 'qa', '--env', 'dev');
    expect(r.stderr.trim()).toBe(`error: --env qa: not in ${dist} (have: dev, prod, argocd)`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('names a --crds or --dist that is not a directory', () => {
    const missing = join(tempDir('zt-e2e-cli-'), 'nope');
    expect(e2e('--crds', missing).stderr.trim()).toBe(`error: --crds ${missing}: not a directory`);
    const r = e2e('--dist', missing);
    expect(r.stderr.trim()).toBe(`error: --dist ${missing}: not a directory (run pnpm synth)`);
    expect(r.status).toBe(1);
  });

  it('tier 2: names a tier that does not exist, more than one environment, argocd, another dist/ or a timeout that is not seconds', () => {
    const one = (r: ReturnType<typeof e2e>) => [r.status, r.stderr.trim(), r.stdout];
    expect(one(e2e('--tier', '3'))).toEqual([1, 'error: --tier 3: expected 1 or 2', '']);
    expect(one(e2e('--tier', '2', '--env', 'dev', '--env', 'prod'))).toEqual([
      1,
      'error: --tier 2 --env dev prod: tier 2 runs one environment (e.g. --env dev)',
      '',
    ]);
    // A multi-cluster environment's name selects its units: more than one cluster.
    expect(one(e2e('--tier', '2', '--env', 'lattice'))).toEqual([
      1,
      'error: --tier 2 --env lattice-cluster1 lattice-cluster2: tier 2 runs one environment (e.g. --env dev)',
      '',
    ]);
    expect(one(e2e('--tier', '2', '--env', 'argocd'))).toEqual([1, 'error: --tier 2 --env argocd: tier 2 runs one environment (e.g. --env dev)', '']);
    expect(one(e2e('--tier', '2', '--timeout', '10m'))).toEqual([1, 'error: --timeout 10m: expected a whole number of seconds', '']);
    const dist = tempDir('zt-e2e-cli-');
    mkdirSync(join(dist, 'dev'));
    expect(one(e2e('--tier', '2', '--dist', dist))).toEqual([
      1,
      `error: --tier 2 --dist ${dist}: tier 2 serves the repository's own dist/ (a clone of HEAD) to Argo CD`,
      '',
    ]);
  });
});
