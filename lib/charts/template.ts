/**
 * Rendering an upstream chart at synth time: the real `helm template`, offline, pinned, cached.
 *
 * Why shell out instead of re-implementing Helm: charts are Go templates with Sprig, schema
 * validation, subcharts and CRD handling; only Helm renders them exactly as Argo CD would. Why
 * cache: `helm template` costs 100 ms to seconds per chart, and synth renders every environment;
 * the output is a pure function of (chart content, values, Helm version, Kubernetes version,
 * release, namespace, flags), so it is stored on disk under a hash of exactly those.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { parseAllDocuments, type Scalar } from 'yaml';
import { UserError } from '../errors';
import { type Lock, verifyChart } from './lock';
import { type ChartRef, cachedChartDigest, chartLabel, locateChart, REPO_ROOT } from './source';

/** The Helm release every render must use: output differs between Helm versions. */
export const HELM_VERSION = 'v3.22.0';
export const HELM_INSTALL = 'go install helm.sh/helm/v3/cmd/helm@v3.22.0';

/** `helm template` flags every render uses (part of the cache key). */
const TEMPLATE_FLAGS = ['--include-crds', '--skip-tests'] as const;

/** Outside dist/, git-ignored with node_modules, safe to delete at any time. */
const DEFAULT_CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'zt-eks-gitops', 'helm');

/** Bumped when the cache entry format or the parsing changes, so old entries are not reused. */
const CACHE_FORMAT = 1;

/** A Kubernetes object as plain JSON data (the shape cdk8s' ApiObject/Include accept). */
interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface RenderOptions {
  /** The charts directory holding `<chart>-<version>/` folders. */
  chartsDir: string;
  ref: ChartRef;
  releaseName: string;
  namespace: string;
  /** `1.31` or `1.31.0` (a leading `v` is accepted); always passed to Helm as `x.y.z`. */
  kubeVersion: string;
  /** Helm values (plain JSON data); sent to helm as canonical JSON on stdin. */
  values: object;
  /** The helm binary; default `$HELM`, else `helm` on PATH, else `$(go env GOPATH)/bin/helm`. */
  helm?: string;
  /** Default `DEFAULT_CACHE_DIR`; `false` renders without reading or writing the cache. */
  cacheDir?: string | false;
  /** When given, the chart folder must match its charts.lock.json digest (`verifyChart`). */
  lock?: Lock;
  /** The Helm version required (default `HELM_VERSION`); `false` accepts any. */
  requireHelmVersion?: string | false;
}

interface RenderResult {
  objects: ApiObject[];
  /** The cache key (`renderCacheKey`). */
  key: string;
  /** Whether the objects came from the cache (helm was not run). */
  cached: boolean;
  /** Wall time of this call, in milliseconds. */
  ms: number;
}

// ---------------------------------------------------------------------------------------------
// Finding helm and its version

/** Whether `file` exists and is a regular file (a directory named `helm` is not a binary). */
const isFile = (file: string) => existsSync(file) && statSync(file).isFile();

/**
 * The helm binary to use, or undefined: `explicit` (a path, or a name looked up on PATH), else
 * `$HELM`, else `helm` on PATH, else where `go install` puts binaries (`$GOBIN`, `$GOPATH/bin`,
 * `~/go/bin`, and last `$(go env GOPATH)/bin`, which costs a `go` process).
 */
export function findHelm(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const wanted = explicit ?? env.HELM;
  const onPath = (name: string) =>
    (env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((d) => join(d, name))
      .find(isFile);
  if (wanted) {
    if (isAbsolute(wanted) || wanted.includes('/')) return isFile(resolve(wanted)) ? resolve(wanted) : undefined;
    return onPath(wanted);
  }
  const found =
    onPath('helm') ??
    [env.GOBIN, env.GOPATH && join(env.GOPATH, 'bin'), join(env.HOME ?? homedir(), 'go', 'bin')]
      .filter((d): d is string => !!d)
      .map((d) => join(d, 'helm'))
      .find(isFile);
  if (found) return found;
  const go = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8', env });
  const gopath = go.status === 0 ? go.stdout.trim().split(delimiter)[0] : undefined;
  return gopath && isFile(join(gopath, 'bin', 'helm')) ? join(gopath, 'bin', 'helm') : undefined;
}

/** `findHelm`, or a one-line UserError naming the install command. */
export function resolveHelm(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const bin = findHelm(explicit, env);
  if (bin) return bin;
  const which = explicit ?? env.HELM;
  throw new UserError(`helm ${which ? `${which} ` : ''}not found${which ? '' : ' ($HELM, PATH, $(go env GOPATH)/bin)'}: install it with ${HELM_INSTALL}`);
}

const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

function readUvarint(buf: Buffer, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (let i = pos; i < buf.length && shift < 35; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, i + 1];
    shift += 7;
  }
  return [-1, pos];
}

/**
 * The module information Go embeds in every binary it builds (what `go version -m` prints), read
 * without a Go toolchain: the 16-byte-aligned `\xff Go buildinf:` header, then (Go >= 1.18) two
 * length-prefixed strings, the Go version and the module list. Undefined for other files.
 */
export function goModuleInfo(bin: string): { goVersion: string; main?: { path: string; version: string } } | undefined {
  const fd = openSync(bin, 'r');
  try {
    // A 64-bit ELF binary (Linux) names the section: a few small reads instead of scanning ~100 MB.
    const section = elfSection(fd, '.go.buildinfo');
    if (section?.subarray(0, GO_BUILDINFO_MAGIC.length).equals(GO_BUILDINFO_MAGIC)) return parseBuildInfo(section);
    const size = statSync(bin).size;
    const chunk = 1 << 22;
    const buf = Buffer.alloc(chunk + 64 * 1024);
    for (let pos = 0; pos < size; pos += chunk) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      let i = buf.indexOf(GO_BUILDINFO_MAGIC);
      while (i >= 0 && i < chunk && i < n) {
        if ((pos + i) % 16 === 0) return parseBuildInfo(buf.subarray(i, n));
        i = buf.indexOf(GO_BUILDINFO_MAGIC, i + 1);
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The contents of a named section of a little-endian 64-bit ELF file, or undefined (another format, no such section). */
function elfSection(fd: number, name: string): Buffer | undefined {
  const read = (length: number, position: number) => {
    const b = Buffer.alloc(length);
    return b.subarray(0, readSync(fd, b, 0, length, position));
  };
  const header = read(64, 0);
  if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return undefined;
  const shoff = Number(header.readBigUInt64LE(0x28));
  const shentsize = header.readUInt16LE(0x3a);
  const shnum = header.readUInt16LE(0x3c);
  const shstrndx = header.readUInt16LE(0x3e);
  if (shentsize < 64 || shnum === 0 || shstrndx >= shnum) return undefined;
  const table = read(shentsize * shnum, shoff);
  if (table.length < shentsize * shnum) return undefined;
  const at = (i: number) => ({
    name: table.readUInt32LE(i * shentsize),
    offset: Number(table.readBigUInt64LE(i * shentsize + 24)),
    size: Number(table.readBigUInt64LE(i * shentsize + 32)),
  });
  const strings = at(shstrndx);
  const names = read(Math.min(strings.size, 1 << 20), strings.offset);
  for (let i = 0; i < shnum; i++) {
    const s = at(i);
    const end = names.indexOf(0, s.name);
    if (names.toString('latin1', s.name, end < 0 ? undefined : end) === name) return read(Math.min(s.size, 1 << 20), s.offset);
  }
  return undefined;
}

function parseBuildInfo(buf: Buffer): { goVersion: string; main?: { path: string; version: string } } | undefined {
  const flags = buf[15]!;
  if ((flags & 0x2) === 0) return undefined; // pre-1.18 layout (pointers into data): not worth supporting
  const [vlen, afterV] = readUvarint(buf, 32);
  if (vlen < 0) return undefined;
  const goVersion = buf.subarray(afterV, afterV + vlen).toString('utf8');
  const [mlen, afterM] = readUvarint(buf, afterV + vlen);
  if (mlen < 0) return undefined;
  let mod = buf.subarray(afterM, afterM + mlen).toString('utf8');
  // The module list is wrapped in 16-byte sentinels (cmd/go/internal/modload.ModInfoData).
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, -16);
  const line = mod.split('\n').find((l) => l.startsWith('mod\t'));
  const [, path, version] = line?.split('\t') ?? [];
  return { goVersion, ...(path && version ? { main: { path, version } } : {}) };
}

const versions = new Map<string, string>();

/**
 * The version of a helm binary, e.g. `v3.22.0`, memoised per binary (path, size, mtime).
 *
 * `helm version` is not enough: a helm built with `go install helm.sh/helm/v3/cmd/helm@v3.22.0`
 * has no link-time version and prints its source default, `v3.22` (no patch). Its Go build
 * information, though, records the module version exactly (`mod helm.sh/helm/v3 v3.22.0`), so
 * that is read first; release binaries (built from a checkout, main module `(devel)`) get their
 * version from `helm version --template {{.Version}}`, which their link flags set.
 */
export function helmVersion(bin: string): string {
  const st = statSync(bin);
  const id = `${resolve(bin)}\0${st.size}\0${st.mtimeMs}`;
  const known = versions.get(id);
  if (known) return known;
  let version: string | undefined;
  const info = goModuleInfo(bin);
  if (info?.main?.path.startsWith('helm.sh/helm/') && /^v\d+\.\d+\.\d+/.test(info.main.version)) version = info.main.version;
  if (!version) {
    const r = spawnSync(bin, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new UserError(
        `cannot run ${bin} version: ${r.error?.message ?? firstMeaningfulLine(r.stderr) ?? `exit ${r.status}`} (install helm with ${HELM_INSTALL})`,
      );
    }
    version = r.stdout.trim();
  }
  versions.set(id, version);
  return version;
}

// ---------------------------------------------------------------------------------------------
// Cache key

/** `1.31` / `v1.31.0` -> `1.31.0`. Helm prints `--kube-version 1.31` as `v1.31`, which breaks image tags built from it. */
export function normaliseKubeVersion(v: string): string {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v.trim());
  if (!m) throw new UserError(`Kubernetes version ${JSON.stringify(v)} is not <major>.<minor>[.<patch>] (e.g. 1.31 or 1.31.0)`);
  return `${Number(m[1])}.${Number(m[2])}.${Number(m[3] ?? 0)}`;
}

/** JSON with object keys sorted at every level (arrays keep their order): equal values, equal text. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value)) ?? 'null';
}

interface CacheKeyInput {
  /** `chartDigest` of the chart folder. */
  digest: string;
  values: unknown;
  helmVersion: string;
  kubeVersion: string;
  releaseName: string;
  namespace: string;
  flags?: readonly string[];
}

/** The sha256 (hex) a render is cached under: everything `helm template`'s output depends on. */
export function renderCacheKey(input: CacheKeyInput): string {
  const material = {
    format: CACHE_FORMAT,
    digest: input.digest,
    values: JSON.parse(canonicalJson(input.values)) as unknown,
    helmVersion: input.helmVersion,
    kubeVersion: normaliseKubeVersion(input.kubeVersion),
    releaseName: input.releaseName,
    namespace: input.namespace,
    flags: [...(input.flags ?? TEMPLATE_FLAGS)],
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

/** Where a render with `key` is stored. */
function cacheFile(cacheDir: string, key: string): string {
  return join(cacheDir, key.slice(0, 2), `${key}.json`);
}

function readCache(file: string): ApiObject[] | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { format?: number; objects?: unknown };
    return entry.format === CACHE_FORMAT && Array.isArray(entry.objects) ? (entry.objects as ApiObject[]) : undefined;
  } catch {
    return undefined; // a damaged entry is re-rendered and overwritten
  }
}

/** Temp file + rename: concurrent synths and test workers never read half an entry. */
function writeCache(file: string, label: string, objects: ApiObject[]): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ format: CACHE_FORMAT, chart: label, objects })}\n`);
  renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// helm output

/**
 * The line of helm's stderr that says what went wrong, as one line: `Error: ` stripped, warnings
 * and the `--debug` hint skipped; a header ending in `:` (schema errors list the violations on
 * the following lines) is joined with what follows.
 */
export function firstMeaningfulLine(stderr: string | undefined): string | undefined {
  const lines = (stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(WARNING|walk\.go:|Use --debug flag)/i.test(l));
  const at = lines.findIndex((l) => /^Error:/.test(l));
  const rest = lines.slice(Math.max(at, 0));
  if (rest.length === 0) return undefined;
  let line = rest[0]!.replace(/^Error:\s*/, '');
  if (line.endsWith(':')) line = [line, ...rest.slice(1)].join(' ');
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

/** The Source comment Helm writes above each document (`chart/templates/x.yaml`), for messages. */
function sourceOf(comment: string | null | undefined): string | undefined {
  return /Source:\s*(\S+)/.exec(comment ?? '')?.[1];
}

/**
 * Helm's multi-document output as plain objects, in Helm's order, empty documents dropped.
 *
 * Parsed as YAML 1.1, the way Kubernetes and Argo CD (go-yaml v2 via sigs.k8s.io/yaml) read the
 * same text: an unquoted `yes`/`on` in a template is a boolean to the cluster, so it is one here;
 * quoted strings stay strings and numbers stay numbers. Two YAML 1.1 types go-yaml does not give
 * an untyped decoder are left out: timestamps (go-yaml keeps `2024-01-01` a string) and base-60
 * numbers (`1:20`). Duplicate keys keep the last value, as go-yaml does.
 */
export function parseManifests(text: string, label: string): ApiObject[] {
  const docs = parseAllDocuments(text, {
    version: '1.1',
    uniqueKeys: false,
    customTags: (tags) =>
      tags.filter((t) =>
        typeof t === 'string' ? !['timestamp', 'intTime', 'floatTime'].includes(t) : t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME',
      ),
  });
  const list = Array.isArray(docs) ? docs : [docs];
  const objects: ApiObject[] = [];
  list.forEach((doc, i) => {
    const where = sourceOf(doc.commentBefore) ?? sourceOf((doc.contents as Scalar | null)?.commentBefore) ?? `document ${i + 1}`;
    if (doc.errors.length > 0) throw new UserError(`chart ${label}: ${where}: helm output is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
    if (value === null || value === undefined) return;
    const obj = value as Partial<ApiObject>;
    if (typeof value !== 'object' || Array.isArray(value) || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      throw new UserError(`chart ${label}: ${where}: helm rendered a document that is not a Kubernetes object (no apiVersion/kind)`);
    }
    objects.push(value as ApiObject);
  });
  return objects;
}

/** The `helm template` arguments for a render (values come on stdin). */
function templateArgs(opts: { releaseName: string; chartDir: string; namespace: string; kubeVersion: string }): string[] {
  return [
    'template',
    opts.releaseName,
    opts.chartDir,
    '--namespace',
    opts.namespace,
    '--kube-version',
    normaliseKubeVersion(opts.kubeVersion),
    ...TEMPLATE_FLAGS,
    '--values',
    '-',
  ];
}

// ---------------------------------------------------------------------------------------------
// Render

/**
 * Renders a chart with `helm template` and returns its objects, with details (cache key, hit).
 * Never uses the network: the chart is a local folder with its dependencies already under
 * `charts/`, and no `--dependency-update`/repository flag is passed.
 */
export function renderChartDetailed(opts: RenderOptions): RenderResult {
  const started = performance.now();
  const label = chartLabel(opts.ref);
  const chartDir = locateChart(opts.chartsDir, opts.ref);
  const digest = opts.lock ? verifyChart(opts.lock, opts.ref, chartDir) : cachedChartDigest(chartDir);
  const kubeVersion = normaliseKubeVersion(opts.kubeVersion);
  const helm = resolveHelm(opts.helm);
  const version = helmVersion(helm);
  const required = opts.requireHelmVersion ?? HELM_VERSION;
  if (required !== false && version !== required) {
    throw new UserError(`helm at ${helm} is ${version}; charts render with ${required} (install it with ${HELM_INSTALL}, or point $HELM at it)`);
  }
  const valuesJson = canonicalJson(opts.values ?? {});
  const key = renderCacheKey({
    digest,
    values: opts.values ?? {},
    helmVersion: version,
    kubeVersion,
    releaseName: opts.releaseName,
    namespace: opts.namespace,
  });
  const file = opts.cacheDir === false ? undefined : cacheFile(opts.cacheDir ?? DEFAULT_CACHE_DIR, key);
  const hit = file ? readCache(file) : undefined;
  if (hit) return { objects: hit, key, cached: true, ms: performance.now() - started };

  const r = spawnSync(helm, templateArgs({ releaseName: opts.releaseName, chartDir, namespace: opts.namespace, kubeVersion }), {
    input: valuesJson,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  // EPIPE: helm exited before reading the values (it failed early); its status and stderr say why.
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (r.error && !(code === 'EPIPE' && r.status !== null)) {
    if (code === 'ENOENT') throw new UserError(`helm ${helm} not found: install it with ${HELM_INSTALL}`);
    throw new UserError(`chart ${label}: cannot run ${helm}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const why = firstMeaningfulLine(r.stderr) ?? (r.signal ? `helm was killed by ${r.signal}` : `helm template exited with ${r.status}`);
    throw new UserError(`chart ${label}: ${why}`);
  }
  const objects = parseManifests(r.stdout, label);
  if (file) writeCache(file, label, objects);
  return { objects, key, cached: false, ms: performance.now() - started };
}

/** Renders a chart with `helm template` (cached; see `renderChartDetailed`) and returns its objects in Helm's order. */
export function renderChart(opts: RenderOptions): ApiObject[] {
  return renderChartDetailed(opts).objects;
}
