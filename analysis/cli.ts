/**
 * `pnpm --silent reach [--json] [--strict] <dir-or-files...>`
 *
 * Prints the connections the NetworkPolicies in a set of manifests allow, in np-guard
 * netpol-analyzer `list` conventions. Documents it cannot model (not Kubernetes objects, unknown
 * kinds, workloads of the wrong shape) are reported on stderr, one `warning:` line each; with
 * `--strict` they are errors. Exit codes: 0 analysed (whatever the connections), 1 user error
 * (unreadable path, invalid YAML, an object the API server would reject, bad flags; with
 * `--strict`, a document not analysed), 2 internal error.
 *
 * On a terminal, stderr gets a line per path read and a closing summary (counts, milliseconds);
 * stdout only ever holds the analysis, so `pnpm --silent reach ... | jq` reads clean JSON.
 * Files under 1 MiB are parsed once and cached by content (lib/cli/manifest-cache.ts); larger
 * ones, cluster dumps, are streamed and never held whole.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_REACH_CACHE, readManifestsCached } from '../lib/cli/manifest-cache';
import { count, guard, type Io, processIo, progress, runIfMain } from '../lib/cli/run';
import { UserError } from '../lib/errors';
import { analyze } from './analyze';
import { connectionLines, formatPieces } from './format';
import { buildCluster, type Issue } from './model';
import { manifestFiles, readManifestFiles } from './read';

/** Files at least this large are streamed, not cached: the cache holds a file's objects whole. */
const CACHE_LIMIT = 1 << 20;

export const EXIT_CODES_HELP = `
Exit codes:
  0  analysis done (the connections, possibly none, are on stdout)
  1  user error: unreadable path, no manifest file, invalid YAML/JSON, an object the API server would reject, bad flags;
     with --strict, a document not analysed (one error line each)
  2  internal error (a bug; the stack trace is on stderr)`;

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('reach')
      .description('List the connections NetworkPolicies allow between the workloads of a set of manifests (np-guard `list` conventions)')
      .argument('<paths...>', 'manifest files or directories (.yaml, .yml, .json; searched recursively)')
      .option('--json', 'print a JSON array of {src, dst, conns} instead of lines', false)
      .option('--strict', 'fail (exit 1) when a document is not analysed: not a Kubernetes object, an unknown kind, a workload of the wrong shape', false)
      .option('--no-cache', 'parse every file, even those parsed before (lib/cli/manifest-cache.ts)')
      .addHelpText('after', EXIT_CODES_HELP)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const opts = program.opts<{ json: boolean; strict: boolean; cache: boolean }>();
    const cacheDir = opts.cache ? (process.env.ZT_REACH_CACHE ? resolve(process.env.ZT_REACH_CACHE) : DEFAULT_REACH_CACHE) : false;
    const started = performance.now();
    let objects = 0;
    const read = (function* () {
      for (const [i, path] of program.args.entries()) {
        const t = performance.now();
        let n = 0;
        for (const file of manifestFiles([path])) {
          const small = cacheDir !== false && statSync(file).size < CACHE_LIMIT;
          for (const o of small ? readManifestsCached([file], cacheDir) : readManifestFiles([file])) {
            n++;
            yield o;
          }
        }
        objects += n;
        progress(io, `reach: [${i + 1}/${program.args.length}] ${path}: ${count(n, 'object')} in ${Math.round(performance.now() - t)} ms`);
      }
    })();
    const issues: Issue[] = [];
    const cluster = buildCluster(read, { onIssue: (i) => issues.push(i) });
    for (const i of issues) io.err(`${opts.strict ? 'error' : 'warning'}: ${i.source}: ${i.message}`);
    if (opts.strict && issues.length > 0) return 1;
    if (objects === 0) throw new UserError(`no manifests found in ${program.args.join(', ')}`);
    const lines = connectionLines(analyze(cluster));
    // Written in pieces: the output of a large cluster is never one string.
    for (const piece of formatPieces(lines, opts.json)) io.out(piece);
    progress(
      io,
      `reach: ${count(objects, 'object')} from ${count(program.args.length, 'path')}, ${count(cluster.workloads.length, 'workload')}, ` +
        `${count(cluster.policies.length, 'NetworkPolicy', 'NetworkPolicies')}: ${count(lines.length, 'connection line')} in ${Math.round(performance.now() - started)} ms`,
    );
    return 0;
  });
}

runIfMain(module, main);
