/**
 * Finds and validates environment definitions: one `<name>.ts` file per environment in a
 * directory (default `environments/`), each default-exporting `defineEnvironment({...})`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validate } from '../platform/registry';
import type { Environment } from './environment';
import { UserError, environmentError } from './errors';

export const REPO_ROOT = resolve(__dirname, '..');
export const DEFAULT_ENVIRONMENTS_DIR = join(REPO_ROOT, 'environments');

/** Environment files in a directory, sorted; files starting with `_` are helpers, not environments. */
export function environmentFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`environments directory ${relative(process.cwd(), dir) || dir} does not exist`);
  }
  return readdirSync(dir)
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.startsWith('_') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => join(dir, f));
}

export async function loadEnvironmentFile(file: string): Promise<Environment> {
  const stem = basename(file).replace(/\.(ts|mts|js|mjs)$/, '');
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    // A syntax error or a throwing import is the user's file: name it, keep the cause short.
    const first = String((e as Error).message ?? e).split('\n')[0];
    throw environmentError(stem, '', `cannot load ${relative(process.cwd(), file)}: ${first}`);
  }
  // tsx's CommonJS interop may wrap the default export once more.
  let value = mod.default;
  if (value && typeof value === 'object' && 'default' in value && !('name' in value)) value = (value as { default: unknown }).default;
  if (value === undefined) {
    throw environmentError(stem, '', `${relative(process.cwd(), file)} has no default export (export default defineEnvironment({...}))`);
  }
  const result = validate(value);
  const name = typeof (value as { name?: unknown }).name === 'string' ? (value as { name: string }).name : stem;
  if ('problem' in result) throw environmentError(name, result.problem.path, result.problem.message);
  if (result.env.name !== stem) {
    throw environmentError(result.env.name, 'name', `${JSON.stringify(result.env.name)} does not match its file name ${basename(file)}`);
  }
  return result.env;
}

/** Loads every environment of a directory, or only `only` when given. */
export async function loadEnvironments(dir = DEFAULT_ENVIRONMENTS_DIR, only?: readonly string[]): Promise<Environment[]> {
  const files = environmentFiles(dir);
  const byName = new Map(files.map((f) => [basename(f).replace(/\.(ts|mts|js|mjs)$/, ''), f]));
  const wanted = only && only.length > 0 ? only : [...byName.keys()];
  for (const w of wanted) {
    if (!byName.has(w)) {
      throw new UserError(`unknown environment ${JSON.stringify(w)} (known: ${[...byName.keys()].join(', ') || 'none'})`);
    }
  }
  if (wanted.length === 0) throw new UserError(`no environment files in ${relative(process.cwd(), dir) || dir}`);
  const envs: Environment[] = [];
  for (const w of wanted) envs.push(await loadEnvironmentFile(byName.get(w)!));
  return envs;
}

/** One environment by name from the default directory (what infra uses). */
export async function loadEnvironment(name: string, dir = DEFAULT_ENVIRONMENTS_DIR): Promise<Environment> {
  return (await loadEnvironments(dir, [name]))[0]!;
}
