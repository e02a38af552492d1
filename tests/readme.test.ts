/**
 * README examples run as pasted. Every ```ts block of README.md is an environment, validated
 * against the real registry and synthesized (the intent proof included):
 *
 * - a block with `defineEnvironment(` is a whole environment file (the environment model);
 * - any other block is a fragment of one (`apps: {...}, flows: [...]`): its fields are added to
 *   the model environment, lists appended and records merged, as its `// ...` comments say.
 *
 * A block that is not meant to run carries `<!-- not-validated -->` on the line above its fence;
 * it is listed here as a skipped test, and the expected list below makes skipping deliberate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import devInput from '../environments/dev';
import type { Environment } from '../lib/environment';
import { environmentError } from '../lib/errors';
import { loadEnvironments } from '../lib/load';
import { synthesize } from '../lib/synth';
import { validate } from '../platform/registry';
import { clone, REPO, tempDir } from './support';

const MARKER = '<!-- not-validated -->';
/** Blocks skipped on purpose, by their first line; empty today. */
const EXPECTED_SKIPPED: string[] = [];

interface Block {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The heading it is under. */
  readonly section: string;
  readonly code: string;
  readonly skipped: boolean;
}

function tsBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ts\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    let above = i - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    let heading = i - 1;
    while (heading >= 0 && !/^#{1,6} /.test(lines[heading]!)) heading--;
    blocks.push({
      line: i + 1,
      section: heading >= 0 ? lines[heading]!.replace(/^#+ /, '') : '',
      code: lines
        .slice(i + 1, end)
        .map((l) => l.slice(open[1]!.length))
        .join('\n'),
      skipped: above >= 0 && lines[above]!.trim() === MARKER,
    });
    i = end;
  }
  return blocks;
}

const BLOCKS = tsBlocks(readFileSync(join(REPO, 'README.md'), 'utf8'));
const isWhole = (b: Block) => b.code.includes('defineEnvironment(');
const title = (b: Block) => `README.md:${b.line} (${b.section})`;

const REGISTRY = JSON.stringify(join(REPO, 'platform', 'registry'));

/** The value a block evaluates to: the default export of a whole environment file, or the fields of a fragment. */
async function evaluate(b: Block): Promise<Record<string, unknown>> {
  const file = join(tempDir('zt-readme-'), 'block.ts');
  const source = isWhole(b) ? `import { defineEnvironment } from ${REGISTRY};\n${b.code}\n` : `export default {\n${b.code}\n};\n`;
  writeFileSync(file, source);
  const mod = (await import(file)) as { default: Record<string, unknown> };
  return mod.default;
}

/** Fields of a fragment added to an environment: lists appended, records merged, anything else replaced. */
function compose(base: Record<string, unknown>, fragment: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(fragment)) {
    const had = out[k];
    if (Array.isArray(had) && Array.isArray(v)) out[k] = [...had, ...v];
    else if (had && v && typeof had === 'object' && typeof v === 'object' && !Array.isArray(had) && !Array.isArray(v)) out[k] = { ...had, ...v };
    else out[k] = v;
  }
  return out;
}

/** Loads the environment as `pnpm synth` does (its file name is its name), then synthesizes it in memory. */
async function synthEnvironment(input: Record<string, unknown>): Promise<Environment> {
  const dir = tempDir('zt-readme-envs-');
  writeFileSync(join(dir, `${String(input.name)}.ts`), `export default ${JSON.stringify(input)};\n`);
  const [env] = await loadEnvironments(dir);
  synthesize([env!]);
  return env!;
}

describe('README examples', () => {
  it('has the blocks this test knows how to run: one whole environment first, then fragments', () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(4);
    expect(BLOCKS.filter(isWhole).map((b) => b.line)).toEqual([BLOCKS[0]!.line]);
    expect(BLOCKS.filter((b) => b.skipped).map((b) => b.code.split('\n')[0])).toEqual(EXPECTED_SKIPPED);
  });

  it('a block under the not-validated marker is skipped, others are not', () => {
    const md = ['## A', '', MARKER, '```ts', 'apps: {},', '```', '', '```ts', 'flows: [],', '```'].join('\n');
    expect(tsBlocks(md).map((b) => [b.line, b.section, b.code, b.skipped])).toEqual([
      [4, 'A', 'apps: {},', true],
      [8, 'A', 'flows: [],', false],
    ]);
  });

  it('the error lines it shows are what validation prints', async () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const shown = readme.split('\n').filter((l) => l.startsWith('error: environment '));
    const line = (input: any, mutate: (e: any) => void) => {
      const e = clone(input);
      mutate(e);
      const r = validate(e);
      return 'problem' in r ? `error: ${environmentError(e.name, r.problem.path, r.problem.message).message}` : 'valid';
    };
    const model = await evaluate(BLOCKS.find(isWhole)!);
    expect(shown).toEqual([line(model, (e) => (e.network.podCidr = '10.0.0.0/33')), line(devInput, (e) => (e.flows[0].port = 'https'))]);
  });

  const runnable = BLOCKS.filter((b) => !b.skipped);
  const skipped = BLOCKS.filter((b) => b.skipped);

  it.each(runnable.map((b) => [title(b), b] as const))('%s: validates and synthesizes', async (_title, block) => {
    const model = await evaluate(BLOCKS.find(isWhole)!);
    const input = isWhole(block) ? await evaluate(block) : compose(model, await evaluate(block));
    const env = await synthEnvironment(input);
    // The fragment's own names reached the environment (nothing was silently dropped).
    if (!isWhole(block)) {
      const fragment = await evaluate(block);
      for (const name of Object.keys((fragment.apps as object | undefined) ?? {})) expect(Object.keys(env.apps)).toContain(name);
      expect(env.flows.filter((f) => !f.origin)).toHaveLength(((input.flows as unknown[] | undefined) ?? []).length);
    }
  });

  it.skipIf(skipped.length === 0).each(skipped.map((b) => [title(b)] as const))('%s: marked not-validated', () => {});
});
