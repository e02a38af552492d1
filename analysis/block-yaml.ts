/**
 * A fast reader for the block-style YAML that kubectl and YAML printers write for API objects
 * (a cluster dump is tens of megabytes of it): block mappings and sequences, plain and
 * one-line quoted scalars, `{}` and `[]`, literal block scalars (`|`, `|-`). It gives the value
 * the `yaml` library gives (YAML 1.2 core schema) or, for anything else (anchors, aliases,
 * tags, flow collections, folded or multi-line scalars, merge keys, duplicate keys, comments
 * after a value, odd indentation), `undefined`: the caller then asks the `yaml` library, which
 * also says what is wrong with invalid input. It never decides anything the library would decide
 * differently; tests/analysis/block-yaml.test.ts compares the two on generated and real input.
 */

class Unsupported extends Error {}

const unsupported = (): never => {
  throw new Unsupported();
};

const RESERVED_WORD = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;

/** The YAML 1.2 core schema's resolution of a plain scalar, as the `yaml` library does it. */
function plainValue(s: string): unknown {
  const c = s.charCodeAt(0) | 0x20;
  // Most scalars start with a letter: a string unless null or a boolean.
  if (c >= 0x61 && c <= 0x7a) return RESERVED_WORD.test(s) ? (s[0] === 'n' || s[0] === 'N' ? null : s[0] === 't' || s[0] === 'T') : s;
  if (/^~?$/.test(s)) return null;
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) return unsupported();
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) || /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
  return s;
}

/** Characters that may not start a plain scalar or key (or that this reader leaves to the library). */
const INDICATOR = /^[[\]{},#&*!|>'"%@`]|^[-?:](?:\s|$)/;

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', ' ': ' ' };

/** A quoted scalar at the start of `s`: its value and what follows it on the line. */
function quoted(s: string): { value: string; rest: string } {
  let out = '';
  if (s[0] === "'") {
    for (let i = 1; i < s.length; i++) {
      if (s[i] !== "'") out += s[i];
      else if (s[i + 1] === "'") {
        out += "'";
        i++;
      } else return { value: out, rest: s.slice(i + 1) };
    }
    return unsupported();
  }
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return { value: out, rest: s.slice(i + 1) };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    if (e !== undefined && ESCAPES[e] !== undefined) out += ESCAPES[e];
    else {
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      const digits = s.slice(i + 1, i + 1 + hex);
      if (!hex || !new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) return unsupported();
      out += String.fromCodePoint(parseInt(digits, 16));
      i += hex;
    }
  }
  return unsupported();
}

/** A value written on the line of its key or dash (after the separator). */
function inlineValue(s: string): unknown {
  if (s[0] === '"' || s[0] === "'") {
    const q = quoted(s);
    // A comment after the value is left to the library (it keeps it apart from the value).
    if (q.rest.trim() !== '') return unsupported();
    return q.value;
  }
  const text = s.trimEnd();
  if (text === '{}') return {};
  if (text === '[]') return [];
  if (INDICATOR.test(text) || text.includes(': ') || text.includes(' #') || text.endsWith(':')) return unsupported();
  return plainValue(text);
}

/** A mapping key and the rest of its line, or undefined when the line is no `key: ...` entry. */
function entry(content: string): { key: string; rest: string } | undefined {
  let key: string;
  let after: string;
  if (content[0] === '"' || content[0] === "'") {
    const q = quoted(content);
    // A quoted scalar alone is a value, not a key.
    if (q.rest[0] !== ':') return undefined;
    key = q.value;
    after = q.rest;
  } else {
    const colon = content.search(/:(?: |$)/);
    if (colon <= 0) return undefined;
    key = content.slice(0, colon);
    after = content.slice(colon);
    // A key the library would read as something else than a plain string is its business.
    if (INDICATOR.test(key) || key !== key.trim() || key.includes(' #') || typeof plainValue(key) !== 'string') return unsupported();
  }
  if (after.length > 1 && after[1] !== ' ') return unsupported();
  if (key === '<<' || key === '__proto__') return unsupported();
  return { key, rest: after.slice(1).trimStart() };
}

const indentOf = (line: string) => {
  let i = 0;
  while (line.charCodeAt(i) === 0x20) i++;
  return i;
};

const isBlank = (line: string) => /^ *(?:#.*)?$/.test(line);

const isDash = (content: string) => content === '-' || content.startsWith('- ');

class Reader {
  i = 0;
  constructor(readonly lines: string[]) {}

  /** Moves past blank and comment lines. */
  skip(): void {
    while (this.i < this.lines.length && isBlank(this.lines[this.i]!)) this.i++;
  }

  get done(): boolean {
    return this.i >= this.lines.length;
  }

  /** The block node starting on the current line at column `col`. */
  node(col: number): unknown {
    const content = this.lines[this.i]!.slice(col);
    if (isDash(content)) return this.sequence(col);
    if (entry(content)) return this.mapping(col);
    return unsupported();
  }

  /** After a value on one line: the next line may not continue it (a multi-line scalar). */
  private endOfValue(col: number): void {
    this.i++;
    this.skip();
    if (!this.done && indentOf(this.lines[this.i]!) > col) unsupported();
  }

  /** A value on the following lines (after `key:` or `-`), or null when there is none. */
  private nested(col: number, sequenceHere: boolean): unknown {
    this.i++;
    this.skip();
    if (this.done) return null;
    const line = this.lines[this.i]!;
    const ind = indentOf(line);
    if (ind > col) return this.node(ind);
    // `key:` followed by `- item` at the key's own column: kubectl's compact sequences.
    if (sequenceHere && ind === col && isDash(line.slice(col))) return this.sequence(col);
    return null;
  }

  /** A literal block scalar (`|` or `|-`) whose parent node is at column `col`. */
  private literal(header: string, col: number): string {
    const m = /^\|(-?) *$/.exec(header);
    if (!m) return unsupported();
    const lines = this.lines;
    let indent = -1;
    let last = this.i;
    const body: string[] = [];
    for (let j = this.i + 1; j < lines.length; j++) {
      const line = lines[j]!;
      const ind = indentOf(line);
      if (ind === line.length) {
        // A line of spaces only is empty, unless it has more spaces than the block's indentation.
        if (indent >= 0 && ind > indent) return unsupported();
        body.push('');
        continue;
      }
      if (indent < 0) {
        if (ind <= col) break;
        indent = ind;
        if (body.some((_, k) => lines[this.i + 1 + k]!.length > ind)) return unsupported();
      }
      if (ind < indent) break;
      body.push(line.slice(indent));
      last = j;
    }
    if (indent < 0) return unsupported();
    // Empty lines after the last content line are no part of it (clip and strip chomping).
    body.length = last - this.i;
    this.i = last;
    this.endOfValue(col);
    return m[1] === '-' ? body.join('\n') : `${body.join('\n')}\n`;
  }

  private mapping(col: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skip();
      if (this.done) return out;
      const line = this.lines[this.i]!;
      const ind = indentOf(line);
      if (ind < col) return out;
      if (ind > col) return unsupported();
      const content = line.slice(col);
      // A sequence item at the column of a mapping is not the mapping's: the caller decides.
      if (isDash(content)) return out;
      const e = entry(content);
      if (!e) return unsupported();
      if (Object.hasOwn(out, e.key)) return unsupported();
      if (e.rest === '' || e.rest[0] === '#') out[e.key] = this.nested(col, true);
      else if (e.rest[0] === '|') out[e.key] = this.literal(e.rest, col);
      else {
        out[e.key] = inlineValue(e.rest);
        this.endOfValue(col);
      }
    }
  }

  private sequence(col: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.skip();
      if (this.done) return out;
      const line = this.lines[this.i]!;
      const ind = indentOf(line);
      if (ind < col) return out;
      if (ind > col) return unsupported();
      const content = line.slice(col);
      if (!isDash(content)) return out;
      const rest = content.slice(1).trimStart();
      if (rest === '' || rest[0] === '#') {
        out.push(this.nested(col, false));
        continue;
      }
      if (rest[0] === '|') {
        out.push(this.literal(rest, col));
        continue;
      }
      const inner = col + content.length - rest.length;
      if (isDash(rest) || entry(rest)) {
        // `- key: v` or `- - v`: the item is a block node starting at its own column.
        this.lines[this.i] = ' '.repeat(inner) + rest;
        out.push(this.node(inner));
        continue;
      }
      out.push(inlineValue(rest));
      this.endOfValue(col);
    }
  }
}

/**
 * The value of one YAML document in kubectl's block style, or undefined when the text uses
 * anything else (then the `yaml` library must read it).
 */
export function readBlockYaml(text: string): { value: unknown } | undefined {
  if (text.includes('\t') || text.includes('\r') || /^(?:---|\.\.\.|%)/m.test(text)) return undefined;
  const reader = new Reader(text.split('\n'));
  try {
    reader.skip();
    if (reader.done) return undefined;
    const value = reader.node(indentOf(reader.lines[reader.i]!));
    reader.skip();
    return reader.done ? { value } : undefined;
  } catch (e) {
    // Unsupported input, or nesting deeper than the stack: the library decides.
    if (e instanceof Unsupported || e instanceof RangeError) return undefined;
    throw e;
  }
}
