/** Test helpers: synth to data (cdk8s-core's Testing style), temp dirs, in-process CLI runs. */
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Io } from '../../lib/cli/run';
import { findKubeconform } from '../../lib/cli/validate';
import type { Environment } from '../../lib/environment';
import { loadEnvironments } from '../../lib/load';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment } from '../../lib/synth';
import { removeTempDirs, tempDir } from './temp-dirs';

export { tempDir };

export const REPO = join(__dirname, '..', '..');

// Also registered by tests/support/setup.ts, for suites that share this module (vitest.config.mts).
afterEach(removeTempDirs);

export async function environments(): Promise<Environment[]> {
  return loadEnvironments();
}

/** Every object an environment renders, each with the component it belongs to. */
export function objectsOf(env: Environment): (ApiObject & { component: string })[] {
  return renderEnvironment(env).flatMap((c) => c.objects.map((o) => ({ ...o, component: c.component })));
}

/** Captures a CLI's output lines. */
export function captureIo(): Io & { lines: { out: string[]; err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, out: (l) => lines.out.push(l), err: (l) => lines.err.push(l) };
}

/**
 * A directory holding one environment file `<name>.ts` whose default export is `source`
 * (a JS expression), plus copies of the real environments when `withReal` is set.
 */
export function environmentsDir(name: string, source: string, withReal = false): string {
  const dir = tempDir('zt-envs-');
  if (withReal) cpSync(join(REPO, 'environments'), dir, { recursive: true });
  writeFileSync(join(dir, `${name}.ts`), `export default ${source};\n`);
  return dir;
}

/** Deep clone of plain data (environments are plain data). */
export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * The shared data folder beside the checkout (offline schemas, upstream chart values): `$SHARED`,
 * else `../shared` (CI's layout) or `../../shared` (a worktree one level deeper). Suites that need
 * it skip on a developer machine without it, but never under CI, where it must be present.
 */
export const SHARED =
  process.env.SHARED ?? [join(REPO, '..', 'shared'), join(REPO, '..', '..', 'shared')].find((d) => existsSync(d)) ?? join(REPO, '..', 'shared');
export const skipWithoutShared = !process.env.CI && !existsSync(SHARED);

/**
 * Suites that run kubeconform over the offline schemas skip on a developer machine without the
 * binary or the schemas (`pnpm validate` is the command for that), never under CI.
 */
export const KUBECONFORM_SCHEMAS = process.env.KUBECONFORM_SCHEMAS ?? join(SHARED, 'kubeconform-schemas');
export const skipWithoutKubeconform = !process.env.CI && (!findKubeconform() || !existsSync(KUBECONFORM_SCHEMAS));
