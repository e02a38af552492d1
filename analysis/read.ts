/**
 * Reading manifests from disk: files or directories (recursively; `.yaml`, `.yml`, `.json`),
 * multi-document YAML, and `kind: List` (or any `*List` with `items`) flattened. Items of a typed
 * list (`PodList`, `DeploymentList`...) may omit `kind` and `apiVersion`, as the API's own list
 * responses do: they are the list's.
 *
 * Built for cluster dumps as well as repositories: documents are produced one at a time (a
 * caller that keeps only what it needs never holds the whole input), JSON is read by
 * `JSON.parse`, and a large YAML text is cut at its document markers and, for a large list, at
 * its top-level items, so that the YAML parser only ever sees one item; those pieces are read by
 * a fast reader of kubectl's block style first (block-yaml.ts), the YAML parser taking the rest. Every failure (syntax,
 * an alias bomb, nesting too deep for the parser) is one line naming the file, the document
 * and the line.
 */
import { readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Composer, type Document, LineCounter, Parser } from 'yaml';
import { UserError } from '../lib/errors';
import { readBlockYaml } from './block-yaml';
import type { SourcedObject } from './model';

const MANIFEST = /\.(ya?ml|json)$/i;

/**
 * Aliases the YAML parser resolves per document before it gives up: enough for any manifest,
 * far too few for an alias bomb ("billion laughs") to expand.
 */
const MAX_ALIAS_COUNT = 1000;
/** YAML as Kubernetes reads it (sigs.k8s.io/yaml, YAML 1.1 rules for keys): `<<` merge keys resolve. */
const YAML_OPTIONS = { merge: true, prettyErrors: false } as const;
/** A YAML text or document larger than this is cut into documents and list items by lines first. */
const LARGE = 1 << 20;

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

type Obj = Record<string, unknown>;
const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The group/version of each kind a typed list may hold, for lists that do not say. */
const LIST_ITEM_API_VERSIONS: Readonly<Record<string, string>> = {
  Pod: 'v1',
  Namespace: 'v1',
  ReplicationController: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
};

/** `kind: List` or a typed `*List`: its items, with what a typed list implies for them. */
function listOf(value: Obj): { items: unknown; kind?: string; apiVersion?: string } | undefined {
  if (typeof value.kind !== 'string' || !value.kind.endsWith('List') || !('items' in value)) return undefined;
  const itemKind = value.kind.slice(0, -'List'.length);
  // `List` is untyped (kubectl's): its items name their kind. A typed list's items are the
  // list's kind in the list's group/version (the API omits both in each item).
  if (itemKind === '') return { items: value.items };
  const apiVersion = typeof value.apiVersion === 'string' && value.apiVersion ? value.apiVersion : LIST_ITEM_API_VERSIONS[itemKind];
  return { items: value.items, kind: itemKind, ...(apiVersion ? { apiVersion } : {}) };
}

/** A list item with the kind and apiVersion its list implies, when it omits them. */
function withListType(item: unknown, list: { kind?: string; apiVersion?: string }): unknown {
  if (!isRecord(item) || !list.kind) return item;
  if (item.kind === undefined) item.kind = list.kind;
  if (item.apiVersion === undefined && list.apiVersion) item.apiVersion = list.apiVersion;
  return item;
}

/** The objects of one document: the value itself, or a list's items (recursively). */
function* flatten(source: string, value: unknown): Generator<SourcedObject> {
  if (value === null || value === undefined) return;
  const list = isRecord(value) ? listOf(value) : undefined;
  if (!list) {
    yield { source, object: value };
    return;
  }
  if (list.items === null || list.items === undefined) return;
  if (!Array.isArray(list.items)) {
    // Not a list after all; the model reports it as an object of an unknown shape.
    yield { source, object: value };
    return;
  }
  const items = list.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    // Drop the parsed item once handed over: a caller that keeps only what it needs frees it.
    items[i] = undefined;
    yield* flatten(`${source} items[${i}]`, withListType(item, list));
  }
}

/** `file (document n)`: every object is named by its file and its document number. */
const where = (source: string, doc: number) => `${source} (document ${doc})`;

/** `invalid YAML at line n: message`, the first line of the parser's message. */
function yamlProblem(message: string, line?: number): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `invalid YAML${line ? ` at line ${line}` : ''}: ${first}`;
}

/** A parsed document's value, or why it has none (one line). */
type Parsed = { readonly value: unknown; readonly problem?: undefined } | { readonly value?: undefined; readonly problem: string };

/**
 * Deepest nesting a manifest may have. The deepest real ones (CRD schemas) stay under 64; the
 * limit makes absurd input one error line on every machine instead of a stack overflow on some.
 */
const MAX_DEPTH = 512;
/** Widest indentation a manifest may have (the regex in yamlDocuments spells it, plus one). */
const MAX_INDENT = 1024;

/** Whether `value` nests deeper than `max` (iterative: deep input must not overflow the stack here). */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

/** A parsed YAML document as a plain value; a document error or a failed conversion is a problem. */
function documentValue(doc: Document.Parsed, lineOf: (offset: number) => number): Parsed {
  const error = doc.errors[0];
  if (error) return { problem: yamlProblem(error.message, lineOf(error.pos[0])) };
  try {
    const value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    // Whether the parser overflows its stack first depends on the stack it runs on; this limit does not.
    if (depthExceeds(value, MAX_DEPTH)) return { problem: yamlProblem(`nesting deeper than ${MAX_DEPTH} levels`) };
    return { value };
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    if (/excessive alias count/i.test(e.message)) return { problem: yamlProblem(`aliases expand beyond ${MAX_ALIAS_COUNT} nodes (an alias bomb?)`) };
    // Unresolved aliases (ReferenceError), nesting too deep (RangeError), the library's own errors.
    if (e instanceof ReferenceError || e instanceof RangeError || e.name.startsWith('YAML')) return { problem: yamlProblem(e.message) };
    throw e;
  }
}

/**
 * Block nesting is bounded by indentation: refusing absurd indentation up front keeps every
 * reader (the parser and the block reader alike) off the stack depths where what it does on
 * overflow depends on the stack it runs on.
 */
function indentProblem(text: string, firstLine: number): Parsed | undefined {
  const deep = /^ {1025}/m.exec(text);
  if (!deep) return undefined;
  return { problem: yamlProblem(`indented deeper than ${MAX_INDENT} columns`, countLines(text, 0, deep.index) + firstLine) };
}

/**
 * The documents of a YAML text, one at a time (the parser's stream, so each document's syntax
 * tree is dropped before the next is built). `firstLine` places a piece cut out of a larger text.
 */
function* yamlDocuments(text: string, firstLine = 1): Generator<Parsed> {
  const deep = indentProblem(text, firstLine);
  if (deep) {
    yield deep;
    return;
  }
  const lines = new LineCounter();
  const lineOf = (offset: number) => lines.linePos(offset).line + firstLine - 1;
  const docs = new Composer(YAML_OPTIONS).compose(new Parser(lines.addNewLine).parse(text), true, text.length);
  for (;;) {
    let next: IteratorResult<Document.Parsed>;
    try {
      next = docs.next();
    } catch (e) {
      // The parser itself overflowing its stack on absurd nesting.
      if (e instanceof RangeError) {
        yield { problem: yamlProblem(e.message) };
        return;
      }
      throw e;
    }
    if (next.done) return;
    yield documentValue(next.value, lineOf);
  }
}

/** Parses a whole YAML text of documents. */
function* parseYaml(source: string, text: string): Generator<SourcedObject> {
  let n = 1;
  for (const { value, problem } of yamlDocuments(text)) {
    const at = where(source, n++);
    if (problem) throw new UserError(`${at}: ${problem}`);
    yield* flatten(at, value);
  }
}

/** A line-aligned piece of a text: where it starts (1-based line) and its text. */
interface Piece {
  readonly line: number;
  readonly text: string;
}

/**
 * Cuts a YAML text at its `---` document markers, as the YAML parser numbers documents
 * (comments and blank lines before the first marker are no document; every marker starts one).
 * Undefined when the text has directives, document end markers or content on a marker line:
 * the caller gives such a text to the parser whole.
 */
function splitDocuments(text: string): Piece[] | undefined {
  const docs: Piece[] = [];
  let start = 0;
  let startLine = 1;
  let line = 1;
  let sawMarker = false;
  let hasContent = false;
  for (let pos = 0; pos < text.length; line++) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    const c = text.charCodeAt(pos);
    if (c === 0x2d /* - */ && text.startsWith('---', pos) && (end === pos + 3 || text[pos + 3] === ' ' || text[pos + 3] === '\t' || text[pos + 3] === '\r')) {
      if (!/^\s*(#.*)?$/.test(text.slice(pos + 3, end))) return undefined;
      if (sawMarker || hasContent) docs.push({ line: startLine, text: text.slice(start, pos) });
      sawMarker = true;
      hasContent = false;
      start = end + 1;
      startLine = line + 1;
    } else if (c === 0x25 /* % */ || (c === 0x2e /* . */ && text.startsWith('...', pos))) {
      return undefined;
    } else if (!hasContent && !/^\s*(#.*)?$/.test(text.slice(pos, end))) {
      hasContent = true;
    }
    pos = end + 1;
  }
  if (sawMarker || hasContent) docs.push({ line: startLine, text: text.slice(Math.min(start, text.length)) });
  return docs;
}

/**
 * A block-style list document (`items:` at the left margin, then one `- ` entry per item, as
 * kubectl and every YAML printer write it) cut into the document without its items and each
 * item on its own, line numbers kept. Undefined when the document is not laid out that way.
 */
function splitItems(doc: Piece): { rest: string; items: Piece[] } | undefined {
  const text = doc.text;
  const head = /^items:[ \t]*(#.*)?\r?$/m.exec(text);
  if (!head) return undefined;
  const itemsLine = doc.line + countLines(text, 0, head.index);
  let pos = text.indexOf('\n', head.index);
  if (pos < 0) return undefined;
  pos++;
  let line = itemsLine + 1;
  let indent = -1;
  const items: Piece[] = [];
  let itemStart = -1;
  let itemLine = 0;
  let blockEnd = text.length;
  for (; pos < text.length; line++) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    let i = pos;
    while (text.charCodeAt(i) === 0x20) i++;
    const blank = i === end || text[i] === '#' || text[i] === '\r';
    if (text[i] === '\t' && !blank) return undefined;
    if (!blank) {
      const col = i - pos;
      const dash = text[i] === '-' && (i + 1 === end || text[i + 1] === ' ' || text[i + 1] === '\r');
      if (indent < 0) {
        if (!dash) return undefined;
        indent = col;
      }
      if (col === indent && dash) {
        if (itemStart >= 0) items.push({ line: itemLine, text: asItem(text.slice(itemStart, pos), indent) });
        itemStart = pos;
        itemLine = line;
      } else if (col <= indent) {
        // The block ends at the next key on the left margin; anything else is not this layout.
        if (col !== 0) return undefined;
        blockEnd = pos;
        break;
      }
    }
    pos = end + 1;
  }
  if (itemStart < 0) return undefined;
  items.push({ line: itemLine, text: asItem(text.slice(itemStart, blockEnd), indent) });
  // The list without its items: lines kept (blank) so that errors in it point at the right line.
  const rest = `${text.slice(0, head.index)}items: []${'\n'.repeat(countLines(text, head.index, blockEnd))}${text.slice(blockEnd)}`;
  return { rest, items };
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** `- key: v` at `indent` becomes `  key: v`: the item's own node, on the same lines and columns. */
function asItem(text: string, indent: number): string {
  return `${text.slice(0, indent)} ${text.slice(indent + 1)}`;
}

/** One document of a large text: a block-style list is parsed item by item. */
function* largeDocument(at: string, doc: Piece): Generator<SourcedObject> {
  const split = doc.text.length > LARGE ? splitItems(doc) : undefined;
  const list = split ? only(split.rest, doc.line) : undefined;
  const type = list && !list.problem && isRecord(list.value) ? listOf(list.value) : undefined;
  if (!split || !type) {
    // Not a block-style list (or its head does not parse): the parser takes the document whole.
    yield* parseYamlDocument(at, doc);
    return;
  }
  for (const [i, item] of split.items.entries()) {
    const parsed = only(item.text, item.line);
    if (!parsed || (parsed.problem && /unresolved alias/i.test(parsed.problem))) {
      // An alias to an anchor in an earlier item, or an item the cut misread: the parser takes
      // the document whole, and the items already read stand (an item that parses alone has no
      // alias to another, so the whole document gives it the same value).
      yield* parseYamlDocument(at, doc, i);
      return;
    }
    if (parsed.problem) throw new UserError(`${at}: ${parsed.problem}`);
    yield* flatten(`${at} items[${i}]`, withListType(parsed.value, type));
  }
}

/**
 * The value of a piece of a large text that must hold exactly one document (undefined when it
 * holds several): kubectl's block style is read directly, anything else by the YAML parser.
 */
function only(text: string, firstLine: number): Parsed | undefined {
  const deep = indentProblem(text, firstLine);
  if (deep) return deep;
  const block = readBlockYaml(text);
  if (block) return depthExceeds(block.value, MAX_DEPTH) ? { problem: yamlProblem(`nesting deeper than ${MAX_DEPTH} levels`) } : block;
  const docs = [...yamlDocuments(text, firstLine)];
  return docs.length === 1 ? docs[0] : undefined;
}

/** One document, given to the parser whole; a list's items from `fromItem` on. */
function* parseYamlDocument(at: string, doc: Piece, fromItem = 0): Generator<SourcedObject> {
  const parsed = only(doc.text, doc.line) ?? { problem: 'invalid YAML: not one document' };
  if (parsed.problem) throw new UserError(`${at}: ${parsed.problem}`);
  const type = isRecord(parsed.value) ? listOf(parsed.value) : undefined;
  if (fromItem === 0 || !type || !Array.isArray(type.items)) {
    yield* flatten(at, parsed.value);
    return;
  }
  for (let i = fromItem; i < type.items.length; i++) yield* flatten(`${at} items[${i}]`, withListType(type.items[i], type));
}

/** The objects of one file's text (YAML, possibly multi-document; JSON is YAML), one at a time. */
export function* manifests(source: string, text: string): Generator<SourcedObject> {
  if (/^\s*[[{]/.test(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      // YAML in flow style, or broken JSON: the YAML parser says which, with a line number. A
      // large text is not handed to it whole: the JSON error is the answer.
      if (text.length > LARGE) throw new UserError(`${where(source, 1)}: ${jsonProblem(text, (e as Error).message)}`);
      yield* parseYaml(source, text);
      return;
    }
    yield* flatten(where(source, 1), value);
    return;
  }
  const docs = text.length > LARGE ? splitDocuments(text) : undefined;
  if (!docs) {
    yield* parseYaml(source, text);
    return;
  }
  for (const [i, doc] of docs.entries()) yield* largeDocument(where(source, i + 1), doc);
}

/** `invalid JSON[ at line n]: message`, one line (V8 gives an offset for some errors, a snippet for others). */
function jsonProblem(text: string, message: string): string {
  const offset = /in JSON at position (\d+)/.exec(message);
  const line = offset ? countLines(text, 0, Number(offset[1])) + 1 : undefined;
  return `invalid JSON${line ? ` at line ${line}` : ''}: ${message.replace(/ in JSON at position \d+.*$/s, '').replace(/\s+/g, ' ')}`;
}

/** Parses one file's text into objects (see {@link manifests}). */
export function parseManifestText(source: string, text: string): SourcedObject[] {
  return [...manifests(source, text)];
}

/** The objects of every manifest file under the paths, one file at a time. */
export function* readManifestFiles(paths: readonly string[]): Generator<SourcedObject> {
  for (const f of manifestFiles(paths)) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read ${display(f)}: ${(e as Error).message}`);
    }
    yield* manifests(display(f), text);
  }
}

export function readManifests(paths: readonly string[]): SourcedObject[] {
  return [...readManifestFiles(paths)];
}
