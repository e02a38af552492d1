/**
 * `pnpm reach` reads manifests through a cache of parsed files: parsing YAML is most of a small
 * run (100 ms of 130 for 100 workloads, the YAML parser's code still cold), and the files it is
 * pointed at (dist/) rarely change between runs. An entry is the objects of one file, stored
 * as JSON under the sha256 of the file's text and of the parser: analysis/read.ts and the
 * `yaml` package version. Only files that parse are stored, and only when JSON holds their
 * values exactly. Outside dist/, safe to delete; `ZT_REACH_CACHE` moves it, `--no-cache` skips it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import type { SourcedObject } from '../../analysis/model';
import { manifestFiles, parseManifestText, readManifests } from '../../analysis/read';

const REPO_ROOT = resolve(__dirname, '..', '..');
export const DEFAULT_REACH_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'zt-eks-gitops', 'reach');
/** Bumped when the entry format changes. */
const FORMAT = 1;

/** What parsing depends on besides the text: the reader's source and the YAML parser's version. */
function parserFingerprint(): string {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return `missing ${file}`;
    }
  };
  const yaml = (JSON.parse(read(createRequire(join(REPO_ROOT, 'package.json')).resolve('yaml/package.json'))) as { version?: string }).version;
  return createHash('sha256')
    .update(`${FORMAT}\0${yaml}\0${read(join(REPO_ROOT, 'analysis', 'read.ts'))}\0${read(join(REPO_ROOT, 'analysis', 'block-yaml.ts'))}`)
    .digest('hex');
}

/** How analysis/read.ts names a file in sources and messages: relative to the working directory when below it. */
function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** JSON of the objects, or undefined when JSON would not give them back as they are (NaN, -0, `__proto__` keys). */
function exactJson(value: unknown): string | undefined {
  let exact = true;
  const json = JSON.stringify(value, (key, v) => {
    if (key === '__proto__' || (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)))) exact = false;
    return v;
  });
  return exact ? json : undefined;
}

/** `readManifests(paths)`, through the cache in `cacheDir` (none when false). Same objects, same sources, same errors. */
export function readManifestsCached(paths: readonly string[], cacheDir: string | false): SourcedObject[] {
  if (cacheDir === false) return readManifests(paths);
  const fingerprint = parserFingerprint();
  return manifestFiles(paths).flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return readManifests([file]); // its error, worded by the reader
    }
    const shown = display(file);
    const key = createHash('sha256').update(`${fingerprint}\0${text}`).digest('hex');
    const entry = join(cacheDir, key.slice(0, 2), `${key}.json`);
    try {
      const cached = JSON.parse(readFileSync(entry, 'utf8')) as { suffix: string; object: unknown }[];
      return cached.map((o) => ({ source: `${shown}${o.suffix}`, object: o.object }));
    } catch {
      // Not cached yet (or damaged): parse.
    }
    const objects = parseManifestText(shown, text);
    if (objects.every((o) => o.source.startsWith(shown))) {
      const json = exactJson(objects.map((o) => ({ suffix: o.source.slice(shown.length), object: o.object })));
      if (json !== undefined) {
        try {
          mkdirSync(join(entry, '..'), { recursive: true });
          const tmp = `${entry}.${process.pid}.tmp`;
          writeFileSync(tmp, json);
          renameSync(tmp, entry);
        } catch {
          // A cache that cannot be written only makes the next run slower.
        }
      }
    }
    return objects;
  });
}
