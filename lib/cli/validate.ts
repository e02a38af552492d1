/**
 * `pnpm validate [dir] [--schemas <dir>] [--schema-location <loc>]... [--kubernetes-version <v>]...`
 *
 * Runs kubeconform `-strict -summary` over the rendered tree once per Kubernetes version:
 * 1.28.0 (the cdk8s-plus-28 API level) and the newest version available. Custom resources are
 * validated too; `-ignore-missing-schemas` is never used, so a kind without a schema fails.
 *
 * Schema locations, first match wins:
 * - `--schema-location` flags, passed to kubeconform as they are;
 * - `--schemas <dir>` or `KUBECONFORM_SCHEMAS=<dir>`: an offline directory in kubeconform's
 *   layout with CRDs under `crds/{group}/{kind}_{version}.json` (what CI uses);
 * - otherwise kubeconform's public default plus the public CRDs catalog (needs network).
 *
 * Without network kubeconform retries every schema download and prints a "failed downloading
 * schema" line per resource for minutes; a quick probe of the HTTP locations fails in seconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UserError } from '../errors';
import { REPO_ROOT } from '../load';
import { listFiles } from '../output';
import { guard, type Io, processIo, runIfMain } from './run';

export const KUBECONFORM_INSTALL = 'go install github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0';
export const BASE_KUBERNETES_VERSION = '1.28.0';
const CRD_TEMPLATE = '{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json';
const PUBLIC_CRD_CATALOG = `https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/${CRD_TEMPLATE}`;
/** What kubeconform 0.7.0 expands `-schema-location default` to. */
export const DEFAULT_SCHEMA_LOCATION =
  'https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json';
/**
 * Files in dist/ that are not Kubernetes objects (Argo CD component metadata, the Helm values a
 * chart was rendered with, the access map) and so are not kubeconform's business.
 */
export const NON_MANIFEST_PATTERNS = ['(^|/)component\\.json$', '(^|/)values\\.ya?ml$'];

/** kubeconform on PATH, or where `go install` puts it, or `$KUBECONFORM`. */
export function findKubeconform(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KUBECONFORM) return existsSync(env.KUBECONFORM) ? env.KUBECONFORM : undefined;
  const dirs = [...(env.PATH ?? '').split(delimiter), env.GOBIN, env.GOPATH && join(env.GOPATH, 'bin'), join(homedir(), 'go', 'bin')];
  for (const d of dirs) {
    if (d && existsSync(join(d, 'kubeconform'))) return join(d, 'kubeconform');
  }
  return undefined;
}

/** Versions an offline schema directory holds (`v1.36.0-standalone-strict` -> `1.36.0`), oldest first. */
export function versionsIn(schemaDir: string): string[] {
  return readdirSync(schemaDir)
    .map((d) => /^v(\d+\.\d+\.\d+)-standalone-strict$/.exec(d)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => {
      const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    });
}

export interface Plan {
  locations: string[];
  versions: string[];
}

/** Which schema locations and Kubernetes versions to validate against. */
export function plan(opts: { schemaLocation: string[]; schemas?: string; kubernetesVersion: string[] }): Plan {
  if (opts.schemas) {
    const dir = resolve(opts.schemas);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`schema directory ${dir} does not exist (--schemas / KUBECONFORM_SCHEMAS)`);
    const available = versionsIn(dir);
    if (available.length === 0) throw new UserError(`schema directory ${dir} holds no v<x.y.z>-standalone-strict folder`);
    const versions = opts.kubernetesVersion.length ? opts.kubernetesVersion : [...new Set([BASE_KUBERNETES_VERSION, available.at(-1)!])];
    for (const v of versions) {
      if (!available.includes(v)) throw new UserError(`Kubernetes ${v} has no schemas in ${dir} (it has ${available.join(', ')})`);
    }
    return { locations: [...opts.schemaLocation, dir, join(dir, 'crds', CRD_TEMPLATE)], versions };
  }
  const locations = opts.schemaLocation.length ? opts.schemaLocation : ['default', PUBLIC_CRD_CATALOG];
  // Online, "master" is the newest schema set kubeconform's default location serves.
  return { locations, versions: opts.kubernetesVersion.length ? opts.kubernetesVersion : [BASE_KUBERNETES_VERSION, 'master'] };
}

/** `scheme://host[:port]` of every location kubeconform downloads from (it treats those starting with `http` as URLs). */
export function httpOrigins(locations: readonly string[]): string[] {
  const origins = locations
    .map((l) => (l === 'default' ? DEFAULT_SCHEMA_LOCATION : l))
    .map((l) => /^(https?:\/\/[^/?#]+)/.exec(l)?.[1])
    .filter((o): o is string => o !== undefined);
  return [...new Set(origins)].sort();
}

export const PROBE_TIMEOUT_MS = 5000;
/** kubeconform (Go) honours these; a direct connection says nothing about a network behind a proxy. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
};

/** Why `origin` cannot be connected to, or undefined when a TCP connection opens. */
function connectProblem(origin: string, timeoutMs: number): Promise<string | undefined> {
  const url = new URL(origin);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (problem: string | undefined) => {
      socket.destroy();
      done(problem);
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => finish(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) => finish(UNREACHABLE[e.code ?? ''] ?? e.code ?? e.message));
  });
}

/**
 * Throws a one-line user error when an HTTP schema location cannot be connected to at all, so
 * that `pnpm validate` offline fails in seconds instead of after minutes of kubeconform retrying
 * every schema. A TCP connection is the probe, not an HTTP request: it needs no TLS trust store
 * (Node's differs from Go's) and has no opinion on ports. Skipped behind a proxy.
 */
export async function probeSchemaLocations(locations: readonly string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  if (PROXY_VARIABLES.some((v) => env[v])) return;
  const origins = httpOrigins(locations);
  const problems = await Promise.all(origins.map((o) => connectProblem(o, timeoutMs)));
  const i = problems.findIndex((p) => p !== undefined);
  if (i >= 0) {
    throw new UserError(
      `cannot reach the schema location ${origins[i]} (${problems[i]}); without network, validate against an offline schema directory: pnpm validate --schemas <dir> (or KUBECONFORM_SCHEMAS=<dir>)`,
    );
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('validate')
      .description('Validate rendered manifests with kubeconform (strict, custom resources included)')
      .argument('[dir]', 'directory to validate', resolve(REPO_ROOT, 'dist'))
      .addOption(new Option('--schemas <dir>', 'offline schema directory in kubeconform layout').env('KUBECONFORM_SCHEMAS'))
      .addOption(new Option('--schema-location <location>', 'a kubeconform -schema-location (repeatable)').argParser(collect).default([]))
      .addOption(new Option('--kubernetes-version <x.y.z>', 'validate for this version (repeatable)').argParser(collect).default([]))
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const dir = resolve(program.processedArgs[0] as string);
    const p = plan(program.opts());

    const manifests = listFiles(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && !NON_MANIFEST_PATTERNS.some((re) => new RegExp(re).test(f)));
    if (manifests.length === 0) throw new UserError(`no manifests under ${relative(process.cwd(), dir) || dir}; run pnpm synth first`);
    const binary = findKubeconform();
    if (!binary) throw new UserError(`kubeconform not found on PATH; install it with: ${KUBECONFORM_INSTALL}`);
    await probeSchemaLocations(p.locations);

    let failed = 0;
    for (const version of p.versions) {
      const args = [
        '-strict',
        '-summary',
        '-output',
        'text',
        '-n',
        '2',
        '-kubernetes-version',
        version,
        ...p.locations.flatMap((l) => ['-schema-location', l]),
        ...NON_MANIFEST_PATTERNS.flatMap((re) => ['-ignore-filename-pattern', re]),
        dir,
      ];
      const run = spawnSync(binary, args, { encoding: 'utf8' });
      if (run.error) throw new UserError(`cannot run ${binary}: ${run.error.message}`);
      const output = `${run.stdout}${run.stderr}`.trimEnd();
      if (output) io.out(output);
      const summary = /Valid: (\d+), Invalid: (\d+), Errors: (\d+), Skipped: (\d+)/.exec(output);
      const ok = run.status === 0 && summary !== null && summary[2] === '0' && summary[3] === '0' && summary[4] === '0';
      io.out(
        `validate: Kubernetes ${version}: ${ok ? 'ok' : 'FAILED'} (${summary ? `${summary[1]} valid, ${summary[2]} invalid, ${summary[3]} errors, ${summary[4]} skipped` : `exit ${run.status}`})`,
      );
      if (!ok) failed++;
    }
    return failed === 0 ? 0 : 1;
  });
}

runIfMain(module, main);
