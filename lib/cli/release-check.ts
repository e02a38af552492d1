/**
 * `pnpm release-check [--root <dir>]`: refuses to let placeholders ship. The repository this
 * template comes with points Argo CD at `example-org`, grants break-glass access to AWS
 * documentation accounts and assigns code owners to an example team; any of them reaching a
 * real cluster means nothing syncs, or the wrong account is trusted. Each problem is one line
 * naming the file to edit; exit 1 when there is any. The GitHub workflow runs it; this
 * repository's own CI only tests it (the template keeps its placeholders on purpose).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { loadArgoConfig } from '../../argocd/settings';
import { sourceOf } from '../clusters';
import { loadEnvironments, REPO_ROOT } from '../load';
import { guard, type Io, processIo, runIfMain } from './run';

/** Hosts and organisations reserved for examples (RFC 2606) or used by this template. */
const PLACEHOLDER_HOST = /(^|\.)(example\.(com|org|net)|example|invalid|test|localhost)$/i;
const PLACEHOLDER_OWNER = /^(example-org|example|your-org|my-org|acme)$/i;

/** Account IDs from the AWS documentation and other obvious fakes. */
export const DOCUMENTATION_ACCOUNTS: readonly string[] = [
  '000000000000',
  '012345678901',
  '111111111111',
  '111122223333',
  '123456789012',
  '444455556666',
  '555555555555',
  '777777777777',
  '777788889999',
  '999999999999',
];

/** The organisation or user part of a repository URL (https, ssh or scp-like), and its host. */
function repositoryParts(url: string): { host: string; owner: string } | undefined {
  const scp = /^[^@\s]+@([^:]+):([^/]+)\//.exec(url);
  if (scp) return { host: scp[1]!, owner: scp[2]! };
  try {
    const u = new URL(url);
    return { host: u.hostname, owner: u.pathname.split('/').filter(Boolean)[0] ?? '' };
  } catch {
    return undefined;
  }
}

/** Every placeholder of a checkout, one line each, naming the file to edit. */
export async function releaseProblems(root: string): Promise<string[]> {
  const problems: string[] = [];
  const show = (file: string) => relative(root, file) || file;

  const envs = await loadEnvironments(join(root, 'environments'));
  const argoFile = join(root, 'argocd', 'config.ts');
  const config = await loadArgoConfig(
    envs.map((e) => e.name),
    argoFile,
  );
  const repo = repositoryParts(config.repoURL);
  if (!repo || PLACEHOLDER_HOST.test(repo.host) || PLACEHOLDER_OWNER.test(repo.owner)) {
    problems.push(`${show(argoFile)}: repoURL ${JSON.stringify(config.repoURL)} is a placeholder; set the URL of your repository`);
  }

  const latticeChecked = new Set<string>();
  for (const env of envs) {
    // A unit of a multi-cluster environment comes from its environment's file; the line names the unit too.
    const source = sourceOf(env);
    const found = ['ts', 'mts', 'js', 'mjs'].map((ext) => join(root, 'environments', `${source}.${ext}`)).find((f) => existsSync(f))!;
    const file = source === env.name ? found : `${found} (${env.name})`;
    const lattice = env.settings.vpcLattice as { accountId: string; certificateArn: string } | undefined;
    if (lattice && !latticeChecked.has(source)) {
      latticeChecked.add(source);
      for (const [field, account] of [
        ['lattice.accountId', lattice.accountId],
        ['lattice.certificateArn', lattice.certificateArn.split(':')[4] ?? ''],
      ] as const) {
        if (DOCUMENTATION_ACCOUNTS.includes(account)) {
          problems.push(`${show(found)}: ${field}: account ${account} is an AWS documentation account; use your own`);
        }
      }
    }
    const roles = [
      ...(env.infra?.adminRoleArns ?? []).map((arn, i) => [`infra.adminRoleArns[${i}]`, arn]),
      ...(env.infra ? [['infra.bootstrap.roleArn', env.infra.bootstrap.roleArn]] : []),
    ];
    for (const [field, arn] of roles) {
      const account = arn!.split(':')[4] ?? '';
      if (DOCUMENTATION_ACCOUNTS.includes(account)) {
        problems.push(`${show(file)}: ${field}: account ${account} is an AWS documentation account; use a role of your own account`);
      }
    }
    // The resources apps declare AWS access to (their roles would grant access to someone else's account).
    for (const [name, app] of Object.entries(env.apps)) {
      for (const [i, s] of app.aws.entries()) {
        for (const [j, arn] of s.resources.entries()) {
          const account = arn.split(':')[4] ?? '';
          if (DOCUMENTATION_ACCOUNTS.includes(account)) {
            problems.push(`${show(file)}: apps.${name}.aws[${i}].resources[${j}]: account ${account} is an AWS documentation account; name your own resource`);
          }
        }
      }
    }
  }

  const owners = join(root, '.github', 'CODEOWNERS');
  if (existsSync(owners)) {
    for (const [i, line] of readFileSync(owners, 'utf8').split('\n').entries()) {
      const content = line.replace(/#.*/, '').trim();
      const placeholder = content
        .split(/\s+/)
        .slice(1)
        .find((o) => /^@(acme|example(-org)?|your-org)\//i.test(o));
      if (placeholder) problems.push(`${show(owners)}:${i + 1}: ${placeholder} is a placeholder team; name your own`);
    }
  }
  return problems;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('release-check')
      .description('Refuse placeholders (example repository, AWS documentation accounts, example code owners) before a release')
      .option('--root <dir>', 'checkout to check', REPO_ROOT)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const root = resolve(program.opts<{ root: string }>().root);
    const problems = await releaseProblems(root);
    for (const p of problems) io.err(`error: ${p}`);
    if (problems.length > 0) {
      io.err(`error: release-check: ${problems.length} placeholder(s) to replace before anything reaches a cluster`);
      return 1;
    }
    io.out('release-check: no placeholders');
    return 0;
  });
}

runIfMain(module, main);
