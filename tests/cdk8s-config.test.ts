/**
 * `cdk8s synth` deletes its `output` directory before it runs the app, whether the app then
 * succeeds or not (cdk8s-cli's synth command: `fs.rmSync(outdir, { recursive: true })`). So
 * cdk8s.yaml must point `output` at a git-ignored scratch directory, never at dist/; and the
 * real CLI, run on a copy of the repository, must leave dist/ alone when synth fails.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readTree } from '../lib/output';
import { REPO, tempDir } from './support';

const config = parse(readFileSync(join(REPO, 'cdk8s.yaml'), 'utf8')) as { app: string; output: string };

describe('cdk8s.yaml', () => {
  it('never lets the cdk8s CLI delete dist/: output is a git-ignored scratch directory outside it', () => {
    expect(isAbsolute(config.output)).toBe(false);
    const output = normalize(config.output).replace(/\/$/, '');
    expect(output).not.toBe('dist');
    expect(output.startsWith('dist/')).toBe(false);
    expect(output).not.toBe('.');
    expect(output.startsWith('..')).toBe(false);
    const ignored = spawnSync('git', ['check-ignore', '--no-index', `${output}/dev/x.yaml`], { cwd: REPO, encoding: 'utf8' });
    expect(ignored.status, `${output} must be git-ignored`).toBe(0);
  });

  it('runs the pnpm synth entry, which writes into $CDK8S_OUTDIR (no --out that would override it)', () => {
    expect(config.app).toBe('node_modules/.bin/tsx lib/cli/synth.ts');
    // pnpm synth runs the same entry, compiled (scripts/run.cjs falls back to tsx on this file).
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.synth).toBe('node scripts/run.cjs synth');
    expect(require(join(REPO, 'scripts', 'build.cjs')).ENTRIES.synth).toBe('lib/cli/synth.ts');
  });
});

describe('npx cdk8s synth on a copy of the repository (offline)', () => {
  /** A copy of the sources with a committed-looking dist/; node_modules and imports/ are linked. */
  function copyOfRepo(): string {
    const dir = tempDir('zt-cdk8s-');
    for (const d of ['lib', 'platform', 'apps', 'argocd', 'environments', 'analysis', 'dist']) cpSync(join(REPO, d), join(dir, d), { recursive: true });
    for (const f of ['cdk8s.yaml', 'package.json', 'tsconfig.json', 'charts.lock.json', 'crds.lock.json']) cpSync(join(REPO, f), join(dir, f));
    for (const d of ['node_modules', 'imports']) symlinkSync(join(REPO, d), join(dir, d));
    return dir;
  }
  const cdk8s = (cwd: string) =>
    spawnSync(join(REPO, 'node_modules/.bin/cdk8s'), ['synth'], { cwd, encoding: 'utf8', env: { ...process.env, CDK8S_OUTDIR: '' } });

  it('keeps dist/ when synth fails, and renders into the scratch directory when it succeeds', () => {
    const dir = copyOfRepo();
    const dist = readTree(join(dir, 'dist'));
    expect(dist.size).toBeGreaterThan(20);

    const devFile = join(dir, 'environments', 'dev.ts');
    const dev = readFileSync(devFile, 'utf8');
    writeFileSync(devFile, `${dev}\nexport const broken = {{;\n`);
    const failed = cdk8s(dir);
    expect(failed.status, failed.stdout).not.toBe(0);
    expect(failed.stderr).toMatch(/error: environment dev: /);
    expect(readTree(join(dir, 'dist'))).toEqual(dist);

    writeFileSync(devFile, dev);
    const ok = cdk8s(dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(readTree(join(dir, 'dist'))).toEqual(dist);
    expect(readTree(join(dir, config.output))).toEqual(dist);
  });
});
