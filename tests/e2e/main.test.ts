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
});
