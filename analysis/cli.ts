/**
 * `pnpm --silent reach [--json] [--strict] <dir-or-files...>`
 *
 * Prints the connections the NetworkPolicies in a set of manifests allow, in np-guard
 * netpol-analyzer `list` conventions. Documents it cannot model (not Kubernetes objects, unknown
 * kinds, workloads of the wrong shape) are reported on stderr, one `warning:` line each; with
 * `--strict` they are errors. Exit codes: 0 analysed (whatever the connections), 1 user error
 * (unreadable path, invalid YAML, an object the API server would reject, bad flags; with
 * `--strict`, a document not analysed), 2 internal error.
 */
import { Command } from 'commander';
import { guard, type Io, processIo, runIfMain } from '../lib/cli/run';
import { UserError } from '../lib/errors';
import { analyze } from './analyze';
import { connectionLines, formatPieces } from './format';
import { buildCluster, type Issue } from './model';
import { readManifestFiles } from './read';

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
      .addHelpText('after', EXIT_CODES_HELP)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const opts = program.opts<{ json: boolean; strict: boolean }>();
    let objects = 0;
    const read = (function* () {
      for (const o of readManifestFiles(program.args)) {
        objects++;
        yield o;
      }
    })();
    const issues: Issue[] = [];
    const cluster = buildCluster(read, { onIssue: (i) => issues.push(i) });
    for (const i of issues) io.err(`${opts.strict ? 'error' : 'warning'}: ${i.source}: ${i.message}`);
    if (opts.strict && issues.length > 0) return 1;
    if (objects === 0) throw new UserError(`no manifests found in ${program.args.join(', ')}`);
    // Written in pieces: the output of a large cluster is never one string.
    for (const piece of formatPieces(connectionLines(analyze(cluster)), opts.json)) io.out(piece);
    return 0;
  });
}

runIfMain(module, main);
