/**
 * `pnpm --silent reach [--json] [--no-cache] <dir-or-files...>`
 *
 * Prints the connections the NetworkPolicies in a set of manifests allow, in np-guard
 * netpol-analyzer `list` conventions. Exit codes: 0 analysed (whatever the connections),
 * 1 user error (unreadable path, invalid YAML, an object the API server would reject, bad
 * flags), 2 internal error.
 *
 * On a terminal, stderr gets a line per path read and a closing summary (counts, milliseconds);
 * stdout only ever holds the analysis, so `pnpm --silent reach ... | jq` reads clean JSON.
 * Parsed files are cached by content (lib/cli/manifest-cache.ts).
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_REACH_CACHE, readManifestsCached } from '../lib/cli/manifest-cache';
import { count, guard, type Io, processIo, progress, runIfMain } from '../lib/cli/run';
import { UserError } from '../lib/errors';
import { analyze } from './analyze';
import { connectionLines, formatJson, formatText } from './format';
import { buildCluster } from './model';

export const EXIT_CODES_HELP = `
Exit codes:
  0  analysis done (the connections, possibly none, are on stdout)
  1  user error: unreadable path, no manifest file, invalid YAML/JSON, an object the API server would reject, bad flags
  2  internal error (a bug; the stack trace is on stderr)`;

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('reach')
      .description('List the connections NetworkPolicies allow between the workloads of a set of manifests (np-guard `list` conventions)')
      .argument('<paths...>', 'manifest files or directories (.yaml, .yml, .json; searched recursively)')
      .option('--json', 'print a JSON array of {src, dst, conns} instead of lines', false)
      .option('--no-cache', 'parse every file, even those parsed before (lib/cli/manifest-cache.ts)')
      .addHelpText('after', EXIT_CODES_HELP)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const opts = program.opts<{ json: boolean; cache: boolean }>();
    const cacheDir = opts.cache ? (process.env.ZT_REACH_CACHE ? resolve(process.env.ZT_REACH_CACHE) : DEFAULT_REACH_CACHE) : false;
    const started = performance.now();
    const objects = program.args.flatMap((path, i) => {
      const t = performance.now();
      const read = readManifestsCached([path], cacheDir);
      progress(io, `reach: [${i + 1}/${program.args.length}] ${path}: ${count(read.length, 'object')} in ${Math.round(performance.now() - t)} ms`);
      return read;
    });
    if (objects.length === 0) throw new UserError(`no manifests found in ${program.args.join(', ')}`);
    const cluster = buildCluster(objects);
    const lines = connectionLines(analyze(cluster));
    const text = opts.json ? formatJson(lines) : formatText(lines);
    if (text) io.out(text);
    progress(
      io,
      `reach: ${count(objects.length, 'object')} from ${count(program.args.length, 'path')}, ${count(cluster.workloads.length, 'workload')}, ` +
        `${count(cluster.policies.length, 'NetworkPolicy', 'NetworkPolicies')}: ${count(lines.length, 'connection line')} in ${Math.round(performance.now() - started)} ms`,
    );
    return 0;
  });
}

runIfMain(module, main);
