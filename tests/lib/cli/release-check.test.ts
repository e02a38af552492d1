/**
 * `pnpm release-check`: the template's placeholders are refused, each with the file to edit;
 * a checkout with real values passes.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/release-check';
import { captureIo, REPO, tempDir } from '../../support';

/** A checkout-like root: the environments, the Argo CD config and CODEOWNERS, imports pointed at this repository. */
function checkout(edit: (root: string) => void = () => {}): string {
  const root = tempDir('zt-release-');
  for (const d of ['environments', 'argocd', '.github']) mkdirSync(join(root, d), { recursive: true });
  for (const f of readdirSync(join(REPO, 'environments'))) {
    const text = readFileSync(join(REPO, 'environments', f), 'utf8').replace(
      "from '../platform/registry'",
      `from ${JSON.stringify(join(REPO, 'platform', 'registry'))}`,
    );
    writeFileSync(join(root, 'environments', f), text);
  }
  const config = readFileSync(join(REPO, 'argocd', 'config.ts'), 'utf8').replace(
    "from './settings'",
    `from ${JSON.stringify(join(REPO, 'argocd', 'settings'))}`,
  );
  writeFileSync(join(root, 'argocd', 'config.ts'), config);
  cpSync(join(REPO, '.github', 'CODEOWNERS'), join(root, '.github', 'CODEOWNERS'));
  edit(root);
  return root;
}

const replace = (file: string, from: string | RegExp, to: string) => writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));

describe('pnpm release-check', () => {
  it("refuses the template's placeholders, one line each naming the file to edit", async () => {
    const io = captureIo();
    expect(await main(['--root', checkout()], io)).toBe(1);
    expect(io.lines.err).toEqual([
      'error: argocd/config.ts: repoURL "https://github.com/example-org/zt-eks-gitops.git" is a placeholder; set the URL of your repository',
      'error: environments/dev.ts: infra.bootstrap.roleArn: account 111122223333 is an AWS documentation account; use a role of your own account',
      'error: environments/lattice.ts: lattice.accountId: account 111122223333 is an AWS documentation account; use your own',
      'error: environments/lattice.ts: lattice.certificateArn: account 111122223333 is an AWS documentation account; use your own',
      // A unit of a multi-cluster file: the file, and the unit the field is in.
      'error: environments/lattice.ts (lattice-cluster1): infra.bootstrap.roleArn: account 111122223333 is an AWS documentation account; use a role of your own account',
      'error: environments/lattice.ts (lattice-cluster2): infra.bootstrap.roleArn: account 111122223333 is an AWS documentation account; use a role of your own account',
      'error: environments/prod.ts: infra.adminRoleArns[0]: account 111122223333 is an AWS documentation account; use a role of your own account',
      'error: environments/prod.ts: infra.bootstrap.roleArn: account 111122223333 is an AWS documentation account; use a role of your own account',
      'error: environments/staging.ts: infra.bootstrap.roleArn: account 111122223333 is an AWS documentation account; use a role of your own account',
      'error: environments/urlshort.ts: infra.bootstrap.roleArn: account 111122223333 is an AWS documentation account; use a role of your own account',
      'error: environments/urlshort.ts: apps.worker.aws[0].resources[0]: account 111122223333 is an AWS documentation account; name your own resource',
      // Every CODEOWNERS line naming the example team (one per owned path).
      ...readFileSync(join(REPO, '.github', 'CODEOWNERS'), 'utf8')
        .split('\n')
        .flatMap((l, i) =>
          /^[^#]*@acme\/platform-team/.test(l) ? [`error: .github/CODEOWNERS:${i + 1}: @acme/platform-team is a placeholder team; name your own`] : [],
        ),
      expect.stringMatching(/^error: release-check: \d+ placeholder\(s\) to replace before anything reaches a cluster$/),
    ]);
    expect(io.lines.err.filter((l) => l.includes('CODEOWNERS')).length).toBeGreaterThan(0);
  });

  it('passes once the repository, accounts and owners are real', async () => {
    const root = checkout((r) => {
      replace(join(r, 'argocd', 'config.ts'), 'https://github.com/example-org/zt-eks-gitops.git', 'https://github.com/platform-co/zt-eks-gitops.git');
      for (const env of ['dev', 'lattice', 'prod', 'staging', 'urlshort']) replace(join(r, 'environments', `${env}.ts`), /111122223333/g, '210987654321');
      replace(join(r, '.github', 'CODEOWNERS'), /@acme\/platform-team/g, '@platform-co/platform');
    });
    const io = captureIo();
    expect(await main(['--root', root], io)).toBe(0);
    expect(io.lines.out).toEqual(['release-check: no placeholders']);
  });

  it.each([
    ['an scp-like URL of an example host', 'git@example.com:team/repo.git'],
    ['an ssh URL of a .test host', 'ssh://git@git.company.test/team/repo.git'],
  ])('refuses %s', async (_what, url) => {
    const root = checkout((r) => replace(join(r, 'argocd', 'config.ts'), 'https://github.com/example-org/zt-eks-gitops.git', url));
    const io = captureIo();
    expect(await main(['--root', root], io)).toBe(1);
    expect(io.lines.err[0]).toBe(`error: argocd/config.ts: repoURL ${JSON.stringify(url)} is a placeholder; set the URL of your repository`);
  });
});
