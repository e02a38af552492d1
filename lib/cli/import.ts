/**
 * `pnpm import-crds [--from <dir>]`: regenerates the custom-resource bindings in imports/ from the
 * `imports:` of cdk8s.yaml (entries `prefix:=<pinned upstream URL>`).
 *
 * `cdk8s import` imports only its first argument and overwrites same-group output, so each
 * entry is imported on its own with its own prefix. With `--from <dir>`, each URL is replaced by
 * the file of the same name found under `dir`: the way to regenerate offline from vendored
 * copies of the same pinned files (CI has no route to the upstream hosts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import { parse } from 'yaml';
import { UserError } from '../errors';
import { REPO_ROOT } from '../load';
import { listFiles } from '../output';
import { guard, type Io, processIo, runIfMain } from './run';

export function importEntries(configText: string): { prefix: string; source: string }[] {
  const config = parse(configText) as { imports?: unknown };
  const list = Array.isArray(config?.imports) ? (config.imports as unknown[]) : [];
  return list.map((entry, i) => {
    const m = typeof entry === 'string' ? /^([a-z0-9-]+):=(.+)$/.exec(entry) : null;
    if (!m) throw new UserError(`cdk8s.yaml: imports[${i}]: ${JSON.stringify(entry)} is not "<prefix>:=<source>"`);
    return { prefix: m[1]!, source: m[2]! };
  });
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('import')
      .description('Regenerate imports/ from the imports of cdk8s.yaml')
      .option('--from <dir>', 'use local copies of the upstream files found under this directory')
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const { from } = program.opts<{ from?: string }>();
    const entries = importEntries(readFileSync(join(REPO_ROOT, 'cdk8s.yaml'), 'utf8'));
    const local = from ? listFiles(resolve(from)).map((f) => join(resolve(from), f)) : [];
    const cdk8s = join(REPO_ROOT, 'node_modules', '.bin', 'cdk8s');
    for (const { prefix, source } of entries) {
      let spec = source;
      if (from) {
        const matches = local.filter((f) => basename(f) === basename(source));
        if (matches.length !== 1) throw new UserError(`--from ${from}: ${matches.length} files named ${basename(source)} (need exactly one)`);
        spec = matches[0]!;
      }
      const run = spawnSync(cdk8s, ['import', `${prefix}:=${spec}`, '-l', 'typescript', '-o', 'imports', '--no-save', '--check-upgrade=false'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new UserError(`cdk8s import ${prefix} failed: ${(run.stderr || run.stdout).trim().split('\n')[0]}`);
      io.out(`import: ${prefix} <- ${spec}`);
    }
    io.out(`import: ${entries.length} bindings in imports/`);
    return 0;
  });
}

runIfMain(module, main);
