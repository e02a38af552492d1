'use strict';
/**
 * `node --require bench/rss.cjs ...`: writes the process's peak resident set size (KiB, from
 * getrusage) to `$BENCH_RSS_FILE` when it exits. The benchmarks' way to measure a child process.
 */
process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) require('node:fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
