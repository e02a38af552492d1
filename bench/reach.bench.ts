/**
 * `pnpm bench`: the reachability analyzer on generated clusters of 100, 500 and 1,000
 * workloads with about 0.3 policies per workload. Prints wall time (model + analysis, then
 * formatting), the same end to end from a directory of YAML files (what `pnpm reach` does),
 * and memory; target: 1,000 workloads under 1 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { analyze } from '../analysis/analyze';
import { connectionLines, formatText } from '../analysis/format';
import { buildCluster } from '../analysis/model';
import { readManifests } from '../analysis/read';
import { generateManifests } from './generate';

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
