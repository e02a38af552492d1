/**
 * Reading manifests from disk: files or directories (recursively; `.yaml`, `.yml`, `.json`),
 * multi-document YAML, and `kind: List` (or any `*List` with `items`) flattened.
 */
import { readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { UserError } from '../lib/errors';
import type { SourcedObject } from './model';

const MANIFEST = /\.(ya?ml|json)$/i;

/** Relative to the working directory when below it, else as given. */
function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Manifest files under the given paths, sorted per argument; a missing path is a user error. */
export function manifestFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st: Stats;
    try {
      st = statSync(p);
    } catch {
      throw new UserError(`cannot read ${display(p)}: no such file or directory`);
    }
    if (st.isFile()) {
      out.push(p);
      continue;
    }
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (MANIFEST.test(entry.name)) out.push(full);
      }
    };
    walk(p);
  }
  return out;
}

function flatten(source: string, value: unknown, into: SourcedObject[]): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const v = value as { kind?: unknown; items?: unknown };
    if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
      for (const [i, item] of v.items.entries()) flatten(`${source} items[${i}]`, item, into);
      return;
    }
  }
  into.push({ source, object: value });
}

/** Parses one file's text (YAML, possibly multi-document; JSON is YAML). */
export function parseManifestText(source: string, text: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `${source} (document ${i + 1})` : source;
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line;
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new UserError(`${where}: invalid YAML${line ? ` at line ${line}` : ''}: ${message}`);
    }
    flatten(where, doc.toJS({ maxAliasCount: 1000 }), out);
  });
  return out;
}

export function readManifests(paths: readonly string[]): SourcedObject[] {
  return manifestFiles(paths).flatMap((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read ${display(f)}: ${(e as Error).message}`);
    }
    return parseManifestText(display(f), text);
  });
}
