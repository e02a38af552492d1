/**
 * Dependencies point one way: a core that imports no component; components, the analyzer and
 * the Argo CD renderers on top of it (never of each other); the registry over the components;
 * the composition root (synth, loading, CLIs, environments, infra) over everything. And no
 * import cycle anywhere. Type-only imports are part of the layering but not of the cycle check
 * (they vanish at run time).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './support';

/** Layers, lowest first; a file may import its own group and any group of a lower layer. */
const LAYERS: readonly { readonly layer: number; readonly group: string; readonly match: RegExp }[] = [
  {
    layer: 0,
    group: 'core',
    match:
      /^(lib\/(aws-access|cidr|cluster|component|environment|environment-infra|errors|kinds|output|references|subnets|workload-identity)\.ts|lib\/charts\/.*|imports\/.*)$/,
  },
  { layer: 1, group: 'components', match: /^(platform\/(?!registry\.ts).*|apps\/.*)$/ },
  { layer: 1, group: 'analysis', match: /^analysis\/(?!cli\.ts).*$/ },
  { layer: 1, group: 'argocd', match: /^argocd\/.*$/ },
  // lib/clusters.ts validates each unit of a multi-cluster file with the registry, which types those files from it.
  { layer: 2, group: 'registry', match: /^(platform\/registry\.ts|lib\/clusters\.ts)$/ },
  { layer: 3, group: 'root', match: /^(lib\/(synth|load)\.ts|lib\/cli\/.*|analysis\/cli\.ts|environments\/.*|infra\/src\/.*|bench\/.*)$/ },
];

const SOURCE_DIRS = ['lib', 'platform', 'apps', 'analysis', 'argocd', 'environments', 'infra/src', 'bench'];

function files(dir: string): string[] {
  const abs = join(REPO, dir);
  return readdirSync(abs).flatMap((f) => {
    const p = join(abs, f);
    return statSync(p).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : [];
  });
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(REPO, dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return relative(REPO, candidate);
    } catch {
      // not this candidate
    }
  }
  return undefined;
}

function edges(): Edge[] {
  const all: Edge[] = [];
  for (const file of SOURCE_DIRS.flatMap(files)) {
    const text = readFileSync(join(REPO, file), 'utf8');
    for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)) {
      const to = resolveImport(file, m[3]!);
      if (to) all.push({ from: file, to, typeOnly: !!m[2] });
    }
  }
  return all;
}

const layerOf = (file: string) => LAYERS.find((l) => l.match.test(file));

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

describe('layering', () => {
  const all = edges();

  it('every source file belongs to a layer', () => {
    expect(SOURCE_DIRS.flatMap(files).filter((f) => !layerOf(f))).toEqual([]);
  });

  it('imports point down: core imports no component, sibling groups never import each other', () => {
    const violations = all
      .filter((e) => {
        const a = layerOf(e.from)!;
        const b = layerOf(e.to);
        if (!b) return !e.to.startsWith('tests/support/');
        return b.layer > a.layer || (b.layer === a.layer && b.group !== a.group);
      })
      .map((e) => `${e.from} -> ${e.to}`);
    expect(violations).toEqual([]);
  });

  it('the checker sees a violation (a core file importing a component would be listed)', () => {
    const core = layerOf('lib/environment.ts')!;
    const component = layerOf('platform/twingate/settings.ts')!;
    expect(component.layer).toBeGreaterThan(core.layer);
    expect(all.some((e) => e.from === 'platform/registry.ts' && e.to === 'platform/twingate-operator/index.ts')).toBe(true);
  });

  it('has no import cycle', () => {
    const graph = new Map<string, string[]>();
    for (const e of all.filter((x) => !x.typeOnly)) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    expect(cycles(graph)).toEqual([]);
    // The detector itself finds a planted cycle.
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });
});
