/**
 * `pnpm bench`: the reachability analyzer on generated clusters of 100, 500 and 1,000
 * workloads with about 0.3 policies per workload. Prints wall time (model + analysis, then
 * formatting), the same end to end from a directory of YAML files (what `pnpm reach` does),
 * and memory; target: 1,000 workloads under 1 s.
 *
 * Then cluster dumps of 5,000 and 20,000 live pods (bench/generate.ts), as `kubectl get pods -A
 * -o yaml` writes them (one YAML List) and as the API returns them (a JSON PodList whose items
 * omit kind and apiVersion), each analysed by `pnpm reach`'s code in a process of its own so
 * that its peak resident memory is its own; target: 20,000 pods within 2 GiB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { analyze } from '../analysis/analyze';
import { main } from '../analysis/cli';
import { connectionLines, formatText } from '../analysis/format';
import { buildCluster } from '../analysis/model';
import { readManifests } from '../analysis/read';
import { generateManifests, generatePodDump } from './generate';

const SIZES = [100, 500, 1000];
const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function once(size: number) {
  const objects = generateManifests({ seed: 42, workloads: size, policiesPerWorkload: 0.3 }).map((object, i) => ({ source: `#${i}`, object }));
  const policies = objects.filter((o) => (o.object as { kind: string }).kind === 'NetworkPolicy').length;
  const t0 = performance.now();
  const analysis = analyze(buildCluster(objects));
  const t1 = performance.now();
  const lines = connectionLines(analysis);
  const text = formatText(lines);
  const t2 = performance.now();
  // End to end: one multi-document YAML file per namespace, read back, analysed and printed.
  const dir = mkdtempSync(join(tmpdir(), 'reach-bench-'));
  const byNs = new Map<string, unknown[]>();
  for (const { object } of objects) {
    const o = object as { kind: string; metadata: { name: string; namespace?: string } };
    const ns = o.metadata.namespace ?? o.metadata.name;
    byNs.set(ns, [...(byNs.get(ns) ?? []), object]);
  }
  for (const [ns, docs] of byNs) writeFileSync(join(dir, `${ns}.yaml`), docs.map((d) => stringify(d)).join('---\n'));
  const t3 = performance.now();
  formatText(connectionLines(analyze(buildCluster(readManifests([dir])))));
  const endToEndMs = performance.now() - t3;
  rmSync(dir, { recursive: true, force: true });
  return { policies, analysis, lines: lines.length, bytes: text.length, analyzeMs: t1 - t0, formatMs: t2 - t1, endToEndMs };
}

/** Child mode: `pnpm reach <dir>` in this process, output counted; prints its figures as JSON. */
async function child(dir: string): Promise<void> {
  let lines = 0;
  let warnings = 0;
  const t0 = performance.now();
  const io = {
    out: (s: string) => {
      lines += s.split('\n').length;
    },
    err: () => {
      warnings++;
    },
  };
  const code = await main([dir], io);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ code, lines, warnings, ms, maxRssKiB: process.resourceUsage().maxRSS }));
}

/** A generated dump of `pods` pods written as kubectl or the API gives it, analysed in a child process. */
function dump(pods: number, format: 'yaml' | 'json') {
  const d = generatePodDump({ seed: 42, pods });
  const dir = mkdtempSync(join(tmpdir(), 'reach-pods-'));
  writeFileSync(join(dir, 'cluster.yaml'), [...d.namespaces, ...d.policies].map((o) => stringify(o)).join('---\n'));
  const file = join(dir, `pods.${format}`);
  if (format === 'yaml')
    writeFileSync(file, stringify({ apiVersion: 'v1', kind: 'List', items: d.pods, metadata: { resourceVersion: '' } }, { indentSeq: false }));
  else {
    const items = d.pods.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    writeFileSync(file, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items }));
  }
  const bytes = statSync(file).size;
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { code: number; lines: number; warnings: number; ms: number; maxRssKiB: number };
  if (out.code !== 0 || out.warnings !== 0) throw new Error(`pnpm reach: exit ${out.code}, ${out.warnings} warnings`);
  return { pods: d.pods.length, policies: d.policies.length, bytes, ...out };
}

function pods(): void {
  console.log('');
  console.log('     pods  policies  dump                   MiB    lines  pnpm reach s  peak RSS');
  for (const size of [5000, 20000]) {
    for (const format of ['yaml', 'json'] as const) {
      const r = dump(size, format);
      console.log(
        [
          String(r.pods).padStart(9),
          String(r.policies).padStart(10),
          `  ${format === 'yaml' ? 'kubectl -o yaml (List)' : 'API JSON (PodList)    '}`,
          (r.bytes / 2 ** 20).toFixed(1).padStart(6),
          String(r.lines).padStart(9),
          (r.ms / 1000).toFixed(1).padStart(14),
          mb(r.maxRssKiB * 1024).padStart(10),
        ].join(''),
      );
    }
  }
}

if (process.argv.includes('--child')) {
  void child(process.argv[process.argv.indexOf('--child') + 1]!);
} else {
  workloads();
  pods();
}

function workloads(): void {
  // One warm-up run so the figures measure the analyzer, not the JIT.
  once(100);
  console.log('workloads  policies  ranges  connections   lines  analyze ms  format ms  total ms  from YAML ms  heapUsed     rss');
  for (const size of SIZES) {
    globalThis.gc?.();
    const r = once(size);
    const mem = process.memoryUsage();
    console.log(
      [
        String(size).padStart(9),
        String(r.policies).padStart(9),
        String(r.analysis.ranges.length).padStart(7),
        String(r.analysis.connections.length).padStart(12),
        String(r.lines).padStart(7),
        r.analyzeMs.toFixed(0).padStart(11),
        r.formatMs.toFixed(0).padStart(10),
        (r.analyzeMs + r.formatMs).toFixed(0).padStart(9),
        r.endToEndMs.toFixed(0).padStart(13),
        mb(mem.heapUsed).padStart(10),
        mb(mem.rss).padStart(10),
      ].join(''),
    );
  }
}
