/**
 * `pnpm validate [dir] [--schemas <dir>] [--schema-location <loc>]... [--kubernetes-version <v>]... [--no-cache]`
 *
 * Runs kubeconform `-strict` over the rendered tree once per Kubernetes version: 1.28.0 (the
 * cdk8s-plus-28 API level) and the newest version available. Custom resources are validated
 * too; `-ignore-missing-schemas` is never used, so a kind without a schema fails.
 *
 * Schema locations, first match wins:
 * - `--schema-location` flags, passed to kubeconform as they are;
 * - `--schemas <dir>` or `KUBECONFORM_SCHEMAS=<dir>`: an offline directory in kubeconform's
 *   layout with CRDs under `crds/{group}/{kind}_{version}.json` (what CI uses);
 * - otherwise kubeconform's public default plus the public CRDs catalog (needs network).
 *
 * Without network kubeconform retries every schema download and prints a "failed downloading
 * schema" line per resource for minutes; a quick probe of the HTTP locations fails in seconds.
 *
 * Incremental: a file whose content already passed with the same kubeconform, schema locations,
 * Kubernetes version and flags is not validated again (the cache keeps passes only, outside
 * dist/, safe to delete; `--no-cache` bypasses it); files with the same content are validated
 * once. Files go to kubeconform in batches of whole top-level directories (an environment,
 * argocd/), one progress line each on a terminal.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { canonicalJson, goModuleInfo } from '../charts/template';
import { UserError } from '../errors';
import { listFiles } from '../output';
import { count, guard, type Io, processIo, progress, runIfMain } from './run';

/** The repository root (not lib/load's REPO_ROOT: importing it would load the whole platform). */
const REPO_ROOT = resolve(__dirname, '..', '..');

export const KUBECONFORM_INSTALL = 'go install github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0';
export const BASE_KUBERNETES_VERSION = '1.28.0';

/**
 * Whether a file is validated at a Kubernetes version. CustomResourceDefinitions are the
 * publishers' files, applied as published and written for the Kubernetes versions the publisher
 * supports (cert-manager v1.21 and External Secrets 2.9 use the CRD field `selectableFields`,
 * Kubernetes 1.30+; the environments run 1.31): they are validated at the newest version, not at
 * the cdk8s-plus-28 API level, which only concerns what this project writes. Files are named
 * `<kind>.<...>.yaml` by synth.
 */
export function validatedAt(file: string, version: string, versions: readonly string[]): boolean {
  const crd = (file.split('/').pop() ?? '').startsWith('customresourcedefinition.');
  return !(crd && version === BASE_KUBERNETES_VERSION && versions.length > 1);
}
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
    // A built-in kind the base version does not serve yet (e.g. admissionregistration.k8s.io/v1
    // ValidatingAdmissionPolicy, GA in 1.30) is checked against the newest schemas instead of failing.
    const newest = join(dir, `v${available.at(-1)!}-standalone-strict`, '{{.ResourceKind}}{{.KindSuffix}}.json');
    return { locations: [...opts.schemaLocation, dir, join(dir, 'crds', CRD_TEMPLATE), newest], versions };
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

// ---------------------------------------------------------------------------------------------
// Incremental validation

/** Outside dist/, git-ignored with node_modules, safe to delete at any time; `ZT_VALIDATE_CACHE` moves it. */
const DEFAULT_VALIDATE_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'zt-eks-gitops', 'validate');
/** Bumped when the cache file format or what a pass means changes. */
const CACHE_FORMAT = 1;
/** Passes against schemas fetched over HTTP (which can change behind the same URL) are trusted this long. */
export const ONLINE_PASS_TTL_MS = 24 * 3600 * 1000;
/** kubeconform flags every run uses (part of the cache key). */
const KUBECONFORM_FLAGS = ['-strict'] as const;
/** Files per kubeconform run: whole top-level directories are batched up to this many files. */
const BATCH_FILES = 400;

/**
 * What identifies a kubeconform binary: the module version Go records in a `go install`ed binary
 * (`github.com/yannh/kubeconform v0.7.0`; the binary itself prints "development"), else its path,
 * size and mtime. Never runs it.
 */
export function kubeconformIdentity(bin: string): string {
  const main = goModuleInfo(bin)?.main;
  if (main && /^v\d+\.\d+\.\d+/.test(main.version)) return `${main.path}@${main.version}`;
  const st = statSync(bin);
  return `${resolve(bin)} (${st.size} bytes, mtime ${st.mtimeMs})`;
}

/** Everything a file's result depends on besides its content. */
interface CacheContext {
  readonly kubeconform: string;
  readonly kubernetesVersion: string;
  readonly locations: readonly string[];
  readonly flags: readonly string[];
}

interface CacheEntry {
  /** Resources kubeconform found in the file (all valid). */
  readonly resources: number;
  /** When it passed (ms since the epoch). */
  readonly at: number;
}

/** The passes recorded for one context: file content sha256 -> entry. Only passes are ever recorded. */
export class ValidationCache {
  private readonly added = new Map<string, CacheEntry>();
  private constructor(
    readonly file: string | undefined,
    private readonly context: CacheContext,
    private readonly known: Map<string, CacheEntry>,
  ) {}

  /** The cache for `context` under `dir`, or a cache that remembers nothing when `dir` is false. */
  static open(dir: string | false, context: CacheContext): ValidationCache {
    if (dir === false) return new ValidationCache(undefined, context, new Map());
    const file = join(
      dir,
      `${createHash('sha256')
        .update(canonicalJson({ format: CACHE_FORMAT, ...context }))
        .digest('hex')}.json`,
    );
    return new ValidationCache(file, context, readEntries(file));
  }

  /** The recorded pass of a file with this content, if any (and, for online schemas, recent). */
  passed(sha256: string, now = Date.now()): CacheEntry | undefined {
    const e = this.added.get(sha256) ?? this.known.get(sha256);
    if (!e) return undefined;
    const online = this.context.locations.some((l) => l === 'default' || /^https?:/.test(l));
    return online && now - e.at > ONLINE_PASS_TTL_MS ? undefined : e;
  }

  record(sha256: string, resources: number, now = Date.now()): void {
    this.added.set(sha256, { resources, at: now });
  }

  /** Writes the new passes, merged with what another run may have written meanwhile (temp file + rename). */
  save(): void {
    if (!this.file || this.added.size === 0) return;
    const entries = { ...Object.fromEntries(readEntries(this.file)), ...Object.fromEntries(this.added) };
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ format: CACHE_FORMAT, context: this.context, passed: entries })}\n`);
      renameSync(tmp, this.file);
    } catch {
      // A cache that cannot be written only makes the next run slower.
    }
  }
}

function readEntries(file: string): Map<string, CacheEntry> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { format?: number; passed?: Record<string, CacheEntry> };
    return data.format === CACHE_FORMAT && data.passed && typeof data.passed === 'object' ? new Map(Object.entries(data.passed)) : new Map();
  } catch {
    return new Map(); // missing or damaged: everything is validated again
  }
}

/** One resource of kubeconform's `-output json -verbose` report. */
interface KubeconformResource {
  filename: string;
  kind: string;
  name: string;
  status: string;
  msg: string;
}

interface Counts {
  valid: number;
  invalid: number;
  errors: number;
  skipped: number;
}

/** kubeconform's text rendering of a resource that did not pass. */
function failureLine(r: KubeconformResource): string {
  const what = [r.kind, r.name].filter(Boolean).join(' ');
  const subject = what ? `${r.filename} - ${what}` : `${r.filename} -`;
  if (r.status === 'statusInvalid') return `${subject} is invalid: ${r.msg}`;
  if (r.status === 'statusSkipped') return `${subject} skipped`;
  return `${subject} failed validation: ${r.msg}`;
}

/**
 * Runs kubeconform over `files` (relative to `dir`) for one Kubernetes version; returns the
 * resources per file, or throws a UserError when kubeconform does not produce its report.
 */
function runKubeconform(binary: string, dir: string, files: readonly string[], version: string, locations: readonly string[]): KubeconformResource[] {
  const args = [
    ...KUBECONFORM_FLAGS,
    '-summary',
    '-output',
    'json',
    '-verbose',
    '-n',
    '2',
    '-kubernetes-version',
    version,
    ...locations.flatMap((l) => ['-schema-location', l]),
    ...files,
  ];
  const run = spawnSync(binary, args, { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw new UserError(`cannot run ${binary}: ${run.error.message}`);
  try {
    const report = JSON.parse(run.stdout) as { resources?: KubeconformResource[] };
    if (Array.isArray(report.resources)) return report.resources;
  } catch {
    // Not a report: say what kubeconform said instead.
  }
  const said = `${run.stderr ?? ''}${run.stdout ?? ''}`.trim().split('\n')[0] || `exit ${run.status ?? run.signal}`;
  throw new UserError(`kubeconform (Kubernetes ${version}) did not validate ${dir}: ${said}`);
}

/** The directory a file is reported under: its first path segment (an environment, argocd), or `.`. */
const groupOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');

const collect = (value: string, previous: string[]) => [...previous, value];

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('validate')
      .description('Validate rendered manifests with kubeconform (strict, custom resources included)')
      .argument('[dir]', 'directory to validate', resolve(REPO_ROOT, 'dist'))
      .addOption(new Option('--schemas <dir>', 'offline schema directory in kubeconform layout').env('KUBECONFORM_SCHEMAS'))
      .addOption(new Option('--schema-location <location>', 'a kubeconform -schema-location (repeatable)').argParser(collect).default([]))
      .addOption(new Option('--kubernetes-version <x.y.z>', 'validate for this version (repeatable)').argParser(collect).default([]))
      .option('--no-cache', 'validate every file, even those that already passed with the same kubeconform, schemas and version')
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const dir = resolve(program.processedArgs[0] as string);
    const opts = program.opts<{ schemas?: string; schemaLocation: string[]; kubernetesVersion: string[]; cache: boolean }>();
    const p = plan(opts);
    const started = performance.now();

    const manifests = listFiles(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && !NON_MANIFEST_PATTERNS.some((re) => new RegExp(re).test(f)));
    if (manifests.length === 0) throw new UserError(`no manifests under ${relative(process.cwd(), dir) || dir}; run pnpm synth first`);
    const binary = findKubeconform();
    if (!binary) throw new UserError(`kubeconform not found on PATH; install it with: ${KUBECONFORM_INSTALL}`);

    const kubeconform = kubeconformIdentity(binary);
    const cacheDir = opts.cache ? (process.env.ZT_VALIDATE_CACHE ? resolve(process.env.ZT_VALIDATE_CACHE) : DEFAULT_VALIDATE_CACHE) : false;
    const caches = p.versions.map((version) =>
      ValidationCache.open(cacheDir, { kubeconform, kubernetesVersion: version, locations: p.locations, flags: KUBECONFORM_FLAGS }),
    );
    const hash = new Map(
      manifests.map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(join(dir, f)))
          .digest('hex'),
      ]),
    );
    const at = (v: number, files: readonly string[]) => files.filter((f) => validatedAt(f, p.versions[v]!, p.versions));
    const todo = (v: number, files: readonly string[]) => at(v, files).filter((f) => !caches[v]!.passed(hash.get(f)!));
    if (p.versions.some((_, v) => todo(v, manifests).length > 0)) await probeSchemaLocations(p.locations);

    // Whole top-level directories per kubeconform run, up to BATCH_FILES files still to check.
    const byGroup = new Map<string, string[]>();
    for (const f of manifests) {
      const files = byGroup.get(groupOf(f));
      if (files) files.push(f);
      else byGroup.set(groupOf(f), [f]);
    }
    const groups = [...byGroup].map(([name, files]) => ({ name, files }));
    const batches: (typeof groups)[] = [];
    let pending = 0;
    for (const g of groups) {
      if (batches.length === 0 || pending >= BATCH_FILES) {
        batches.push([]);
        pending = 0;
      }
      batches.at(-1)!.push(g);
      pending += Math.max(...p.versions.map((_, v) => todo(v, g.files).length));
    }

    const totals: Counts[] = p.versions.map(() => ({ valid: 0, invalid: 0, errors: 0, skipped: 0 }));
    let cachedChecks = 0;
    let checked = 0;
    let twins = 0;
    let done = 0;
    for (const batch of batches) {
      const failedIn = new Map<string, number>();
      const cachedIn = new Map<string, number>();
      for (const [v, version] of p.versions.entries()) {
        const files = at(
          v,
          batch.flatMap((g) => g.files),
        );
        // Files not in the cache, one per content: kubeconform's verdict on a text is the same wherever it lies.
        const first = new Map<string, string>();
        for (const f of todo(v, files)) if (!first.has(hash.get(f)!)) first.set(hash.get(f)!, f);
        const check = [...first.values()];
        const results = new Map<string, KubeconformResource[]>(check.map((f) => [hash.get(f)!, []]));
        checked += check.length;
        // A directory larger than a batch still goes in runs of BATCH_FILES (command-line length).
        for (let i = 0; i < check.length; i += BATCH_FILES) {
          for (const r of runKubeconform(binary, dir, check.slice(i, i + BATCH_FILES), version, p.locations)) results.get(hash.get(r.filename) ?? '')?.push(r);
        }
        for (const f of files) {
          const sha = hash.get(f)!;
          const hit = results.has(sha) ? undefined : caches[v]!.passed(sha);
          if (hit) {
            totals[v]!.valid += hit.resources;
            cachedChecks++;
            cachedIn.set(groupOf(f), (cachedIn.get(groupOf(f)) ?? 0) + 1);
            continue;
          }
          if (first.get(sha) !== f) twins++;
          const resources = results.get(sha)!.map((r) => ({ ...r, filename: f }));
          if (resources.length === 0) resources.push({ filename: f, kind: '', name: '', status: 'statusError', msg: 'not in the kubeconform report' });
          let passed = true;
          let valid = 0;
          for (const r of resources) {
            if (r.status === 'statusValid') valid++;
            else if (r.status === 'statusInvalid') totals[v]!.invalid++;
            else if (r.status === 'statusSkipped') totals[v]!.skipped++;
            else if (r.status === '' || r.status === 'statusEmpty')
              continue; // an empty document
            else totals[v]!.errors++;
            if (r.status !== 'statusValid') {
              passed = false;
              io.out(`${failureLine(r)} (Kubernetes ${version})`);
            }
          }
          totals[v]!.valid += valid;
          if (passed) caches[v]!.record(sha, valid);
          else failedIn.set(groupOf(f), (failedIn.get(groupOf(f)) ?? 0) + 1);
        }
      }
      for (const g of batch) {
        const failed = failedIn.get(g.name) ?? 0;
        const cached = cachedIn.get(g.name) ?? 0;
        progress(
          io,
          `validate: [${++done}/${groups.length}] ${g.name}: ${count(g.files.length, 'file')} ${failed ? `FAILED (${failed} failing)` : 'ok'}` +
            `${cached ? ` (${cached} of ${p.versions.reduce((n, _, v) => n + at(v, g.files).length, 0)} checks from cache)` : ''}`,
        );
      }
    }
    for (const c of caches) c.save();

    let failedVersions = 0;
    for (const [v, version] of p.versions.entries()) {
      const t = totals[v]!;
      const ok = t.invalid === 0 && t.errors === 0 && t.skipped === 0;
      if (!ok) failedVersions++;
      io.out(`validate: Kubernetes ${version}: ${ok ? 'ok' : 'FAILED'} (${t.valid} valid, ${t.invalid} invalid, ${t.errors} errors, ${t.skipped} skipped)`);
    }
    // Checks that apply: CRDs are not checked at the base version (validatedAt).
    const total = p.versions.reduce((n, _, v) => n + at(v, manifests).length, 0);
    io.out(
      `validate: ${count(manifests.length, 'file')} in ${count(groups.length, 'directory', 'directories')} x ${count(p.versions.length, 'Kubernetes version')}: ` +
        `${checked} checked${twins ? ` (${twins} more with the same content)` : ''}, ${cachedChecks} of ${total} from cache${cacheDir === false ? ' (--no-cache)' : ''}, ` +
        `in ${Math.round(performance.now() - started)} ms`,
    );
    return failedVersions === 0 ? 0 : 1;
  });
}

runIfMain(module, main);
