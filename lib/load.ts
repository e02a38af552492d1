/**
 * Finds and validates environment definitions: one `<name>.ts` file per environment in a
 * directory (default `environments/`), each default-exporting `defineEnvironment({...})`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validate } from '../platform/registry';
import { VPC_LATTICE_KEY } from '../platform/vpc-lattice/settings';
import { overlaps, parseCidr } from './cidr';
import { clusterOf, DERIVED_LATTICE, expandEnvironment, isMultiCluster, sourceOf } from './clusters';
import type { Environment } from './environment';
import { environmentError, UserError } from './errors';

export const REPO_ROOT = resolve(__dirname, '..');
export const DEFAULT_ENVIRONMENTS_DIR = join(REPO_ROOT, 'environments');

const EXTENSION = /\.(ts|mts|js|mjs)$/;
const stemOf = (file: string) => basename(file).replace(EXTENSION, '');
const shown = (file: string) => relative(process.cwd(), file) || file;

/** Environment files in a directory, sorted; files starting with `_` are helpers, not environments. */
function environmentFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`environments directory ${relative(process.cwd(), dir) || dir} does not exist`);
  }
  return readdirSync(dir)
    .filter((f) => EXTENSION.test(f) && !f.startsWith('_') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * `file:line:column` of a syntax error, or undefined when it carries none. TypeScript goes
 * through esbuild (via tsx): its errors carry `errors[0].location`, and when tsx re-throws them
 * only the message keeps it, as `<file>:<line>:<column>: ERROR: <text>`. esbuild counts columns
 * in bytes from 0; editors and terminals count characters from 1, which is what is printed.
 */
function esbuildLocation(e: unknown): { where: string; text: string } | undefined {
  const first = (e as { errors?: { text?: string; location?: { file: string; line: number; column: number } | null }[] } | null)?.errors?.[0];
  const m = /^(.+):(\d+):(\d+): ERROR: (.+)$/m.exec(String((e as Error | null)?.message ?? ''));
  const at =
    first?.location && first.text ? { ...first.location, text: first.text } : m && { file: m[1]!, line: Number(m[2]), column: Number(m[3]), text: m[4]! };
  if (!at) return undefined;
  const file = resolve(at.file);
  let column = at.column;
  try {
    const line = readFileSync(file, 'utf8').split('\n')[at.line - 1];
    if (line !== undefined) column = Buffer.from(line).subarray(0, at.column).toString('utf8').length;
  } catch {
    // Keep esbuild's column.
  }
  return { where: `${shown(file)}:${at.line}:${column + 1}`, text: at.text };
}

/**
 * Plain JavaScript is parsed by Node itself, whose SyntaxError names no position (Node prints
 * it only for an uncaught error); `node --check` prints `<file>:<line>`, the line and a caret.
 */
function nodeSyntaxLocation(file: string): { where: string; text: string } | undefined {
  const run = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
  const m = /^(.+):(\d+)\n.*\n([\t ]*)\^[^\n]*\n\n(?:\w*Error): (.+)$/m.exec(run.stderr ?? '');
  if (!m) return undefined;
  const path = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
  return { where: `${shown(isAbsolute(path) ? path : resolve(path))}:${m[2]}:${m[3]!.length + 1}`, text: m[4]! };
}

/** One line about whatever a module threw, be it an Error or not. */
function describeThrown(e: unknown, file: string): string {
  const location = esbuildLocation(e) ?? (e instanceof SyntaxError && /\.m?js$/.test(file) ? nodeSyntaxLocation(file) : undefined);
  if (location) return `syntax error at ${location.where}: ${location.text}`;
  if (e instanceof Error || (typeof (e as Error | null)?.message === 'string' && (e as Error).message)) {
    return String((e as Error).message).split('\n')[0]!;
  }
  return `it threw ${describeValue(e)}, not an Error`;
}

/** A short, one-line rendering of any value, for messages. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return v.toString();
  if (Array.isArray(v)) return 'an array';
  try {
    const json = JSON.stringify(v);
    return json.length > 80 ? `${json.slice(0, 80)}...` : json;
  } catch {
    return 'an object';
  }
}

/**
 * The environments a file defines: one, or for a multi-cluster environment (a `clusters` list,
 * lib/clusters.ts) one unit per cluster, named `<env>-<cluster>`, in `clusters` order.
 */
export async function loadEnvironmentFile(file: string): Promise<Environment[]> {
  const stem = stemOf(file);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    // A syntax error or a throwing import is the user's file: name it, keep the cause to one line.
    throw environmentError(stem, '', `cannot load ${shown(file)}: ${describeThrown(e, file)}`);
  }
  // tsx's CommonJS interop may wrap the default export once more.
  let value = mod.default;
  if (value && typeof value === 'object' && 'default' in value && !('name' in value)) value = (value as { default: unknown }).default;
  if (value === undefined) {
    throw environmentError(stem, '', `${shown(file)} has no default export (export default defineEnvironment({...}))`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw environmentError(
      stem,
      '',
      `${shown(file)}: the default export is ${describeValue(value)}, not an environment (export default defineEnvironment({...}))`,
    );
  }
  const name = typeof (value as { name?: unknown }).name === 'string' ? (value as { name: string }).name : stem;
  let envs: Environment[];
  if (isMultiCluster(value)) {
    const result = expandEnvironment(value);
    if ('problem' in result) throw environmentError(name, result.problem.path, result.problem.message);
    envs = result.units.map((u) => u.env);
  } else {
    // The view is what the expansion of a multi-cluster file derives, never written by hand.
    if (VPC_LATTICE_KEY in value) throw environmentError(name, VPC_LATTICE_KEY, DERIVED_LATTICE);
    const result = validate(value);
    if ('problem' in result) throw environmentError(name, result.problem.path, result.problem.message);
    envs = [result.env];
  }
  if (name !== stem) throw environmentError(name, 'name', `${JSON.stringify(name)} does not match its file name ${basename(file)}`);
  return envs;
}

/**
 * Loads every environment of a directory, or only `only` when given. A multi-cluster file yields
 * one environment per cluster (its units, `<env>-<cluster>`): `only` may name the file (all its
 * units) or one unit.
 */
export async function loadEnvironments(dir = DEFAULT_ENVIRONMENTS_DIR, only?: readonly string[]): Promise<Environment[]> {
  const files = environmentFiles(dir);
  const byName = new Map<string, string>();
  for (const f of files) {
    const other = byName.get(stemOf(f));
    // dev.ts beside dev.mts (or dev.js): which one is "dev" would depend on the listing order.
    if (other) throw new UserError(`environment ${stemOf(f)} is defined twice: ${shown(other)} and ${shown(f)}; keep one`);
    byName.set(stemOf(f), f);
  }
  const wanted = only && only.length > 0 ? only : [...byName.keys()];
  // A name that is no file may be a unit of a multi-cluster file: `<file>-<cluster>`.
  const filesOf = (w: string) => (byName.has(w) ? [w] : [...byName.keys()].filter((s) => w.startsWith(`${s}-`)));
  for (const w of wanted) {
    if (filesOf(w).length === 0) {
      throw new UserError(`unknown environment ${JSON.stringify(w)} (known: ${[...byName.keys()].join(', ') || 'none'})`);
    }
  }
  if (wanted.length === 0) throw new UserError(`no environment files in ${relative(process.cwd(), dir) || dir}`);
  const loaded = new Map<string, Environment[]>();
  const load = async (stem: string) => {
    if (!loaded.has(stem)) loaded.set(stem, await loadEnvironmentFile(byName.get(stem)!));
    const units = loaded.get(stem)!;
    for (const [i, env] of units.entries()) {
      const file = units.length > 1 || clusterOf(env) !== undefined ? byName.get(env.name) : undefined;
      if (file) {
        throw environmentError(stem, `clusters[${i}].name`, `the unit ${env.name} has the name of ${shown(file)}; rename the cluster or that file`);
      }
    }
    return units;
  };
  const envs: Environment[] = [];
  const from = new Map<string, string>();
  for (const w of wanted) {
    const candidates = filesOf(w);
    const picked: Environment[] = [];
    for (const stem of candidates) {
      const units = await load(stem);
      picked.push(...(stem === w ? units : units.filter((e) => e.name === w)));
    }
    if (picked.length === 0) {
      const units = (await Promise.all(candidates.map(load))).flat().filter((e) => clusterOf(e) !== undefined);
      const defines = units.length ? `; ${candidates.join(', ')}: ${units.map((e) => e.name).join(', ')}` : '';
      throw new UserError(`unknown environment ${JSON.stringify(w)} (known: ${[...byName.keys()].join(', ')}${defines})`);
    }
    for (const env of picked) {
      const source = sourceOf(env);
      const before = from.get(env.name);
      if (before === source) continue;
      if (before !== undefined) throw new UserError(`environments ${before} and ${source} both define ${env.name}; rename a cluster`);
      from.set(env.name, source);
      envs.push(env);
    }
  }
  const clash = crossEnvironmentProblems(envs)[0];
  if (clash) throw new UserError(clash);
  return envs;
}

/**
 * What no environment can see alone: two environments on one cluster name (Argo CD cluster
 * secrets, Twingate names and EKS are keyed on it) or with overlapping VPC CIDRs (peering,
 * Transit Gateway and Twingate routes need distinct ranges). One line per pair, naming both.
 * A unit of a multi-cluster environment may overlap any VPC: it reaches other clusters through
 * VPC Lattice's link-local data plane, never by routing to their addresses (docs/multi-cluster.md).
 */
export function crossEnvironmentProblems(
  envs: readonly (Pick<Environment, 'name' | 'cluster' | 'network'> & Partial<Pick<Environment, 'settings'>>)[],
): string[] {
  const problems: string[] = [];
  const sorted = [...envs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const isUnit = (e: (typeof envs)[number]) => e.settings !== undefined && clusterOf({ settings: e.settings }) !== undefined;
  for (const [i, a] of sorted.entries()) {
    for (const b of sorted.slice(i + 1)) {
      if (a.cluster.name === b.cluster.name) {
        problems.push(`environments ${a.name} and ${b.name} share the cluster name ${JSON.stringify(a.cluster.name)} (cluster.name must be unique)`);
      }
      const [ra, rb] = [parseCidr(a.network.vpcCidr), parseCidr(b.network.vpcCidr)];
      if (ra && rb && overlaps(ra, rb) && !isUnit(a) && !isUnit(b)) {
        problems.push(
          `environments ${a.name} and ${b.name} have overlapping VPC CIDRs ${a.network.vpcCidr} and ${b.network.vpcCidr} (network.vpcCidr ranges must be disjoint)`,
        );
      }
    }
  }
  return problems;
}

/** One environment by name from the default directory (what infra uses). */
export async function loadEnvironment(name: string, dir = DEFAULT_ENVIRONMENTS_DIR): Promise<Environment> {
  const envs = await loadEnvironments(dir, [name]);
  // A multi-cluster file is no one environment: a Pulumi stack or a bootstrap is per unit.
  if (envs.length > 1) throw new UserError(`environment ${name} has ${envs.length} clusters; name one: ${envs.map((e) => e.name).join(', ')}`);
  return envs[0]!;
}
