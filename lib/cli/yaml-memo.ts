/**
 * The results of `toYaml` (lib/output.ts) kept between synth runs. Turning objects into YAML
 * is the largest cost of a warm `pnpm synth` (the `yaml` library, cold in a new process, takes
 * about 0.8 ms per object); the objects rarely change between runs. An entry is the YAML of one
 * value under the sha256 of its canonical JSON; the file holds the entries the last run used
 * (and, after `--env`, the ones it did not), under the entry format and the `yaml` version.
 * Outside dist/, safe to delete; `ZT_SYNTH_CACHE` moves it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { YAML_MEMO_FORMAT, type YamlMemo } from '../output';

const REPO_ROOT = resolve(__dirname, '..', '..');
export const DEFAULT_YAML_MEMO = join(REPO_ROOT, 'node_modules', '.cache', 'zt-eks-gitops', 'synth-yaml.json');

function header(): string {
  let yaml = 'unknown';
  try {
    const pkg = createRequire(join(REPO_ROOT, 'package.json')).resolve('yaml/package.json');
    yaml = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    // An unknown version never matches a kept file, so nothing stale is used.
  }
  return `${createHash('sha256').update(YAML_MEMO_FORMAT).digest('hex')} yaml@${yaml}`;
}

export class KeptYamlMemo implements YamlMemo {
  private readonly used = new Map<string, string>();
  private added = 0;
  private constructor(
    private readonly file: string,
    private readonly header: string,
    private readonly known: Map<string, string>,
  ) {}

  /** The memo kept in `file`, empty when there is none or it was made by another format or `yaml` version. */
  static load(file = DEFAULT_YAML_MEMO): KeptYamlMemo {
    const h = header();
    let known = new Map<string, string>();
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { header?: string; entries?: Record<string, string> };
      if (data.header === h && data.entries && typeof data.entries === 'object') known = new Map(Object.entries(data.entries));
    } catch {
      // None yet, or damaged: start empty.
    }
    return new KeptYamlMemo(file, h, known);
  }

  get(key: string): string | undefined {
    const id = digest(key);
    const yaml = this.used.get(id) ?? this.known.get(id);
    if (yaml !== undefined) this.used.set(id, yaml);
    return yaml;
  }

  set(key: string, yaml: string): void {
    this.used.set(digest(key), yaml);
    this.added++;
  }

  /** How many results were reused and made in this run. */
  stats(): { reused: number; made: number } {
    return { reused: this.used.size - this.added, made: this.added };
  }

  /** Writes the entries this run used, and those it did not when `keepUnused` (a run of some environments only). */
  save(keepUnused: boolean): void {
    const entries = keepUnused ? new Map([...this.known, ...this.used]) : this.used;
    if (this.added === 0 && entries.size === this.known.size) return;
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ header: this.header, entries: Object.fromEntries(entries) }));
      renameSync(tmp, this.file);
    } catch {
      // A memo that cannot be written only makes the next run slower.
    }
  }
}

const digest = (key: string) => createHash('sha256').update(key).digest('base64url');
