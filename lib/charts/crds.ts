/**
 * Upstream CRDs that a component's chart does not ship. Some publishers add their CRDs to the
 * chart only when they package it (External Secrets, Tailscale), so the chart's source at the
 * released tag renders none. A component then lists the CRD files it needs as pinned URLs
 * (`crds` in lib/component.ts); crds.lock.json records each file's sha256, `pnpm charts pull`
 * fetches them into a CRDs directory, and synth reads them from there, offline, checks them
 * against the lock and writes them into the component's directory of dist/.
 *
 * A CRDs directory holds one folder per component bundle, `<dir>/<bundle name>/<file name>`,
 * the layout of `../shared/upstream/crds`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { UpstreamCrds } from '../component';
import { UserError } from '../errors';
import { DEFAULT_CHARTS_DIR, REPO_ROOT } from './source';

/** One locked CRD file. */
export interface CrdLockEntry {
  /** Where it is published, at an immutable ref. */
  url: string;
  /** `sha256:<hex>` of the file's bytes. */
  digest: string;
}

export interface CrdLock {
  crds: CrdLockEntry[];
}

export const CRD_LOCK_FILE_NAME = 'crds.lock.json';
export const DEFAULT_CRD_LOCK_FILE = join(REPO_ROOT, CRD_LOCK_FILE_NAME);
/** Where `pnpm charts pull` puts CRD files unless told otherwise (inside the git-ignored chart cache). */
export const DEFAULT_CRDS_DIR = join(DEFAULT_CHARTS_DIR, 'crds');

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** A bundle name: the folder of its files. */
const BUNDLE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A file name in a bundle: no path separators, no leading dot. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.ya?ml$/;

/** The CRDs directory synth reads when none is given: `$ZT_CRDS_DIR`, else `.charts/crds/`. */
export function defaultCrdsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZT_CRDS_DIR ? resolve(env.ZT_CRDS_DIR) : DEFAULT_CRDS_DIR;
}

/** `sha256:<hex>` of some bytes. */
export function fileDigest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Checks a bundle declared by a component (a bug in the component when it fails, so a plain
 * Error): a folder name, an https base URL without a trailing slash, plain YAML file names.
 */
export function checkBundle(bundle: UpstreamCrds): void {
  if (!BUNDLE_NAME.test(bundle.name)) throw new Error(`internal: CRD bundle name ${JSON.stringify(bundle.name)} is not a DNS label`);
  if (!/^https:\/\/[^\s]+[^/]$/.test(bundle.baseUrl))
    throw new Error(`internal: CRD bundle ${bundle.name}: baseUrl ${JSON.stringify(bundle.baseUrl)} is not https://... without a trailing /`);
  if (bundle.files.length === 0) throw new Error(`internal: CRD bundle ${bundle.name} lists no file`);
  for (const f of bundle.files) {
    if (!FILE_NAME.test(f)) throw new Error(`internal: CRD bundle ${bundle.name}: ${JSON.stringify(f)} is not a .yaml file name`);
  }
  if (new Set(bundle.files).size !== bundle.files.length) throw new Error(`internal: CRD bundle ${bundle.name} lists a file twice`);
}

/** The URL of one file of a bundle. */
export function crdUrl(bundle: UpstreamCrds, file: string): string {
  return `${bundle.baseUrl}/${file}`;
}

/** Every URL of a bundle, in the bundle's order. */
export function crdUrls(bundle: UpstreamCrds): string[] {
  return bundle.files.map((f) => crdUrl(bundle, f));
}

/** Where a file of a bundle lives in a CRDs directory. */
export function crdPath(dir: string, bundle: UpstreamCrds, file: string): string {
  return join(resolve(dir), bundle.name, file);
}

// ---------------------------------------------------------------------------------------------
// crds.lock.json

/** The lock file's text: 2-space JSON and a final newline, entries sorted by URL. */
export function formatCrdLock(entries: readonly CrdLockEntry[]): string {
  const sorted = entries.map(({ url, digest }) => ({ url, digest })).sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  return `${JSON.stringify({ crds: sorted }, null, 2)}\n`;
}

/** Reads and checks the CRD lock; a missing or malformed one is a one-line UserError. */
export function readCrdLock(file: string = DEFAULT_CRD_LOCK_FILE): CrdLock {
  if (!existsSync(file)) throw new UserError(`${file} does not exist (run pnpm charts pull, or pnpm charts lock --crds-dir <dir>)`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const crds = (data as { crds?: unknown })?.crds;
  if (!Array.isArray(crds)) throw new UserError(`${file}: expected an object with a "crds" array`);
  const seen = new Set<string>();
  crds.forEach((c: Record<string, unknown>, i) => {
    for (const k of ['url', 'digest'] as const) {
      if (typeof c?.[k] !== 'string' || c[k] === '') throw new UserError(`${file}: crds[${i}].${k} must be a non-empty string`);
    }
    if (!DIGEST.test(c.digest as string)) throw new UserError(`${file}: crds[${i}].digest ${JSON.stringify(c.digest)} is not sha256:<64 hex digits>`);
    if (seen.has(c.url as string)) throw new UserError(`${file}: ${c.url} is listed twice`);
    seen.add(c.url as string);
  });
  return { crds: crds as CrdLockEntry[] };
}

/** Writes the lock atomically (a temp file renamed over it). */
export function writeCrdLock(file: string, entries: readonly CrdLockEntry[]): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, formatCrdLock(entries));
  renameSync(tmp, file);
}

/** `lock` with `updates` replacing the entries of the same URL. */
export function mergeCrdEntries(lock: CrdLock | undefined, updates: readonly CrdLockEntry[]): CrdLockEntry[] {
  const byUrl = new Map((lock?.crds ?? []).map((c) => [c.url, c]));
  for (const u of updates) byUrl.set(u.url, u);
  return [...byUrl.values()];
}

/**
 * What a bundle's CRDs in dist/ depend on: the locked digest of each of its files, in order.
 * Recorded as `crds.renderedFrom` in component.json, so synth reuses the committed files while
 * it is unchanged (see lib/synth.ts). Undefined when a file is not locked.
 */
export function crdsRenderedFrom(bundle: UpstreamCrds, lock: CrdLock): string | undefined {
  const files: { url: string; digest: string }[] = [];
  for (const url of crdUrls(bundle)) {
    const entry = lock.crds.find((c) => c.url === url);
    if (!entry) return undefined;
    files.push({ url, digest: entry.digest });
  }
  return fileDigest(JSON.stringify({ format: 1, files }));
}

// ---------------------------------------------------------------------------------------------
// Reading a bundle offline

/** A CRD as plain data. */
export interface CrdObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: unknown };
  spec: { group: string; names: { kind: string; plural: string }; scope: string; versions: { name: string; served: boolean; storage: boolean }[] };
  [key: string]: unknown;
}

/**
 * The CRDs of a bundle, read from a CRDs directory: every file present, locked and matching its
 * digest, every document a `CustomResourceDefinition` of `apiextensions.k8s.io/v1`. Problems are
 * one-line UserErrors naming the file and what to run.
 */
export function readCrds(bundle: UpstreamCrds, dir: string, lock: CrdLock): CrdObject[] {
  checkBundle(bundle);
  const out: CrdObject[] = [];
  for (const file of bundle.files) {
    const path = crdPath(dir, bundle, file);
    const url = crdUrl(bundle, file);
    if (!existsSync(path)) throw new UserError(`CRD file ${bundle.name}/${file} not found: ${path} does not exist (run pnpm charts pull)`);
    const entry = lock.crds.find((c) => c.url === url);
    if (!entry) throw new UserError(`CRD file ${url} is not in ${CRD_LOCK_FILE_NAME} (run pnpm charts pull)`);
    const bytes = readFileSync(path);
    const digest = fileDigest(bytes);
    if (digest !== entry.digest) throw new UserError(`CRD file ${path}: digest ${digest} does not match ${CRD_LOCK_FILE_NAME} (${entry.digest})`);
    out.push(...parsedCrds(path, bytes, digest));
  }
  if (out.length === 0) throw new UserError(`CRD bundle ${bundle.name} in ${resolve(dir)}: no CustomResourceDefinition in its files`);
  return out;
}

const parsed = new Map<string, CrdObject[]>();

/** Freezes plain data all the way down, so a shared object cannot be changed by one caller for all. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The CRDs of one file's bytes, memoised for the process by digest (a CRD file can be 700 KB of
 * YAML, read for every environment). The objects are shared and frozen: synth builds new
 * objects when it annotates, never edits these.
 */
function parsedCrds(path: string, bytes: Buffer, digest: string): CrdObject[] {
  let objects = parsed.get(digest);
  if (!objects) {
    objects = [];
    const docs = parseAllDocuments(bytes.toString('utf8'), { version: '1.1' });
    for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
      if (doc.errors.length > 0) throw new UserError(`CRD file ${path}: ${doc.errors[0]!.message.split('\n')[0]}`);
      const obj = doc.toJS({ maxAliasCount: -1 }) as CrdObject | null;
      if (obj === null || obj === undefined) continue;
      if (obj.apiVersion !== 'apiextensions.k8s.io/v1' || obj.kind !== 'CustomResourceDefinition') {
        throw new UserError(`CRD file ${path}: document ${i + 1} is ${obj.apiVersion}/${obj.kind}, not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
      }
      objects.push(deepFreeze(obj));
    }
    parsed.set(digest, objects);
  }
  return [...objects];
}

// ---------------------------------------------------------------------------------------------
// Fetching (pnpm charts pull), locking a directory, verifying a directory

type Fetch = (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;

interface PullCrdsOptions {
  /** @default defaultCrdsDir() */
  crdsDir?: string;
  /** @default crds.lock.json at the repository root; created when missing */
  lockFile?: string;
  /** Accept a file whose content differs from its locked digest (and re-lock it). */
  update?: boolean;
  /** @default the global fetch */
  fetch?: Fetch;
  log?: (line: string) => void;
}

/**
 * Fetches every file of the bundles into the CRDs directory and records its digest in the lock.
 * A file already present with its locked digest is not fetched again; a fetched file whose digest
 * differs from the lock is refused unless `update` (the publisher changed what the URL serves).
 * Each file is written to a temporary name and renamed; the lock keeps what succeeded.
 */
export async function pullCrds(bundles: readonly UpstreamCrds[], opts: PullCrdsOptions = {}): Promise<{ pulled: CrdLockEntry[]; current: CrdLockEntry[] }> {
  const dir = resolve(opts.crdsDir ?? defaultCrdsDir());
  const lockFile = resolve(opts.lockFile ?? DEFAULT_CRD_LOCK_FILE);
  const log = opts.log ?? (() => {});
  const get = opts.fetch ?? (globalThis.fetch as unknown as Fetch);
  const lock: CrdLock = existsSync(lockFile) ? readCrdLock(lockFile) : { crds: [] };
  const result = { pulled: [] as CrdLockEntry[], current: [] as CrdLockEntry[] };
  try {
    for (const bundle of bundles) {
      checkBundle(bundle);
      for (const file of bundle.files) {
        const url = crdUrl(bundle, file);
        const path = crdPath(dir, bundle, file);
        const locked = lock.crds.find((c) => c.url === url);
        if (locked && existsSync(path) && fileDigest(readFileSync(path)) === locked.digest) {
          result.current.push(locked);
          log(`${bundle.name}/${file}: up to date (${locked.digest.slice(0, 19)}...)`);
          continue;
        }
        let bytes: Buffer;
        try {
          const res = await get(url);
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          bytes = Buffer.from(await res.arrayBuffer());
        } catch (e) {
          throw new UserError(`CRD file ${url}: download failed: ${(e as Error).message.split('\n')[0]}`);
        }
        const digest = fileDigest(bytes);
        if (locked && locked.digest !== digest && !opts.update) {
          throw new UserError(
            `CRD file ${url}: digest ${digest} does not match ${CRD_LOCK_FILE_NAME} (${locked.digest}); if the new content is expected, run pnpm charts pull --update`,
          );
        }
        mkdirSync(dirname(path), { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, bytes);
        renameSync(tmp, path);
        result.pulled.push({ url, digest });
        log(`${bundle.name}/${file}: fetched (${digest.slice(0, 19)}...)`);
      }
    }
  } finally {
    const changed = result.pulled.filter((e) => lock.crds.find((c) => c.url === e.url)?.digest !== e.digest);
    if (changed.length > 0) writeCrdLock(lockFile, mergeCrdEntries(lock, result.pulled));
  }
  return result;
}

/**
 * Lock entries for the bundles' files found in a CRDs directory obtained another way than
 * `pnpm charts pull` (a reviewed copy, an air-gapped mirror). A missing file is an error.
 */
export function lockCrdsDirectory(bundles: readonly UpstreamCrds[], dir: string): CrdLockEntry[] {
  const entries: CrdLockEntry[] = [];
  for (const bundle of bundles) {
    checkBundle(bundle);
    for (const file of bundle.files) {
      const path = crdPath(dir, bundle, file);
      if (!existsSync(path)) throw new UserError(`CRD file ${bundle.name}/${file} not found: ${path} does not exist`);
      entries.push({ url: crdUrl(bundle, file), digest: fileDigest(readFileSync(path)) });
    }
  }
  return entries;
}

/** Every problem of the bundles' files in a CRDs directory (missing, not locked, digest), one line each. */
export function verifyCrds(bundles: readonly UpstreamCrds[], dir: string, lock: CrdLock): { ok: number; errors: string[] } {
  const report = { ok: 0, errors: [] as string[] };
  for (const bundle of bundles) {
    try {
      report.ok += readCrds(bundle, dir, lock).length > 0 ? bundle.files.length : 0;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      report.errors.push(e.message);
    }
  }
  return report;
}
