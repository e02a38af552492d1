/**
 * `pnpm diff` on a fixture repository with two commits: a copy of this workspace (its code and
 * environments), then a change to environments/dev.ts that adds a flow and a group and lowers a
 * group's role. The base renders in a temporary worktree with its own synth; the working tree in
 * process. The report's sections are asserted exactly.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as diff } from '../../../lib/cli/diff';
import { captureIo, REPO } from '../../support';

/** What the base's synth and loader need from the workspace. */
const PARTS = [
  'lib',
  'platform',
  'apps',
  'analysis',
  'argocd',
  'imports',
  'environments',
  'package.json',
  'tsconfig.json',
  'charts.lock.json',
  'crds.lock.json',
];

let repo: string;

function gitIn(dir: string, ...args: string[]): string {
  const r = spawnSync('git', ['-C', dir, '-c', 'user.name=fixture', '-c', 'user.email=fixture@example.test', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}
const git = (...args: string[]) => gitIn(repo, ...args);

function commit(message: string, dir = repo) {
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', message);
}

const worktrees = () => git('worktree', 'list').split('\n').length;

async function runIn(dir: string, ...argv: string[]) {
  const io = captureIo();
  const code = await diff(['--repo', dir, ...argv], io);
  return { code, out: io.lines.out.join('\n').split('\n'), err: io.lines.err };
}
const run = (...argv: string[]) => runIn(repo, ...argv);

beforeAll(() => {
  repo = realpathSync(mkdtempSync(join(tmpdir(), 'zt-diff-repo-')));
  for (const p of PARTS) cpSync(join(REPO, p), join(repo, p), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(repo, 'node_modules'), 'dir');
  writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
  git('init', '-q', '-b', 'main');
  commit('the workspace as it is');
  const dev = join(repo, 'environments', 'dev.ts');
  const before = readFileSync(dev, 'utf8');
  const after = before
    .replace('flows: whoamiFlows,', "flows: [...whoamiFlows, { from: 'kube-system/*', to: 'whoami/whoami', port: 'http' }],")
    .replace("groups: ['Engineering', 'Platform Admins'],", "groups: ['Engineering', 'Platform Admins', 'Data Team'],")
    // Data Team is created here (a TwingateGroup), not an identity-provider group.
    .replace("twingate: { network: 'acme' },", "twingate: { network: 'acme', managedGroups: ['Data Team'] },")
    .replace(
      "{ group: 'Engineering', resources: ['whoami'], kubernetesRole: 'edit' },",
      "{ group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view' },\n    { group: 'Data Team', resources: ['whoami'] },",
    );
  expect(after.split('\n').length - before.split('\n').length).toBe(1);
  writeFileSync(dev, after);
  commit('dev: a flow from kube-system, a Data Team group, Engineering down to view');
});

const made: string[] = [];
afterAll(() => {
  for (const d of [repo, ...made]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('pnpm diff against the commit before', () => {
  let text: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    text = await run('--base', 'HEAD~1', '--exit-code');
  });

  it('exits 1 with --exit-code when something changed; the temporary worktree is gone', () => {
    expect(text.err).toEqual([]);
    expect(text.code).toBe(1);
    expect(worktrees()).toBe(1);
  });

  it('says it in one line first, then the base', () => {
    expect(text.out.slice(0, 2)).toEqual([
      // The AppProject lists the namespaced kinds dev renders, and TwingateGroup is a new one.
      '5 objects changed in 1 environment and argocd/; 1 connection added, 0 removed; identity: 1 group added, 1 changed',
      `base: HEAD~1 (${git('rev-parse', 'HEAD~1').slice(0, 7)}); compared with: the working tree`,
    ]);
    expect(text.out.at(-1)).toBe('unchanged: lab, lattice-cluster1, lattice-cluster2, prod, staging, urlshort');
  });

  it('(a) manifests, environment -> component -> object, with a unified diff of each changed object', () => {
    const start = text.out.indexOf('== dev: 4 objects changed; 1 connection added, 0 removed; identity: 1 group added, 1 changed');
    const end = text.out.indexOf('connections:');
    expect(text.out.slice(start + 1, end)).toEqual([
      'manifests:',
      '  network-policy/',
      '    + NetworkPolicy whoami/allow-ingress-whoami-whoami-from-kube-system-all-tcp-8080',
      '  twingate-access-gateway/',
      '    ~ RoleBinding whoami/twingate-group-engineering',
      '        @@ -10,7 +10,7 @@',
      '         roleRef:',
      '           apiGroup: rbac.authorization.k8s.io',
      '           kind: ClusterRole',
      '        -  name: edit',
      '        +  name: view',
      '         subjects:',
      '           - apiGroup: rbac.authorization.k8s.io',
      '             kind: Group',
      '  twingate-operator/',
      '    + TwingateGroup twingate/data-team',
      '    + TwingateResourceAccess twingate/whoami.whoami.data-team',
    ]);
  });

  it('(b) connections added and removed, and identity changes', () => {
    const start = text.out.indexOf('connections:');
    expect(text.out.slice(start, text.out.indexOf('unchanged: lab, lattice-cluster1, lattice-cluster2, prod, staging, urlshort'))).toEqual([
      'connections:',
      '  + kube-system/coredns[Deployment] => whoami/whoami[Deployment] : TCP 8080',
      'identity (group -> Twingate resources -> Kubernetes role):',
      '  + Data Team -> whoami -> (no Kubernetes role)',
      '  - Engineering -> whoami -> edit',
      '  + Engineering -> whoami -> view',
      '',
      '== argocd: 1 object changed',
      'manifests:',
      '  ~ AppProject argocd/dev-platform',
      '      @@ -78,6 +78,8 @@',
      '           - group: twingate.com',
      '             kind: TwingateGateway',
      '           - group: twingate.com',
      '      +      kind: TwingateGroup',
      '      +    - group: twingate.com',
      '             kind: TwingateResource',
      '           - group: twingate.com',
      '             kind: TwingateResourceAccess',
      '',
    ]);
  });

  it('--format markdown: the summary line first, one collapsible section per changed environment', async () => {
    const md = await run('--base', 'HEAD~1', '--format', 'markdown');
    expect(md.code).toBe(0);
    const out = md.out.join('\n');
    expect(md.out[0]).toBe('**5 objects changed in 1 environment and argocd/; 1 connection added, 0 removed; identity: 1 group added, 1 changed**');
    expect(out).toContain('<summary><b>dev</b>: 4 objects changed; 1 connection added, 0 removed; identity: 1 group added, 1 changed</summary>');
    expect(out).toContain(
      [
        '| | component | object |',
        '| --- | --- | --- |',
        '| + | network-policy | NetworkPolicy whoami/allow-ingress-whoami-whoami-from-kube-system-all-tcp-8080 |',
        '| ~ | twingate-access-gateway | RoleBinding whoami/twingate-group-engineering |',
        '| + | twingate-operator | TwingateGroup twingate/data-team |',
        '| + | twingate-operator | TwingateResourceAccess twingate/whoami.whoami.data-team |',
      ].join('\n'),
    );
    expect(out).toContain(['```diff', '+ kube-system/coredns[Deployment] => whoami/whoami[Deployment] : TCP 8080', '```'].join('\n'));
    expect(out).toContain(
      [
        '| | group | Twingate resources | Kubernetes role |',
        '| --- | --- | --- | --- |',
        '| + | Data Team | whoami | - |',
        '| ~ | Engineering | whoami | edit → view |',
      ].join('\n'),
    );
    // dev, and argocd/ (the dev-platform AppProject's new kind).
    expect(out.match(/<summary><b>/g)?.length).toBe(2);
    expect(worktrees()).toBe(1);
  });
});

describe('pnpm diff: a port moved, a flow and a group dropped, an address flow added', () => {
  let text: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    // A clone at another path: the environment modules of the first repository are already loaded (and cached) in this process.
    const clone = realpathSync(mkdtempSync(join(tmpdir(), 'zt-diff-clone-')));
    made.push(clone);
    gitIn(tmpdir(), 'clone', '-q', repo, clone);
    symlinkSync(join(REPO, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const dev = join(clone, 'environments', 'dev.ts');
    const after = readFileSync(dev, 'utf8')
      .replace(
        "flows: [...whoamiFlows, { from: 'kube-system/*', to: 'whoami/whoami', port: 'http' }],",
        "flows: [{ from: 'kube-system/*', to: 'whoami/whoami', port: 8081 }, { from: 'whoami/whoami', to: { cidr: '192.0.2.0/24' }, port: 443 }],",
      )
      .replace('blocked: standardBlocked,', 'blocked: standardBlocked.slice(0, 3),')
      .replace("groups: ['Engineering', 'Platform Admins', 'Data Team'],", "groups: ['Engineering', 'Platform Admins'],")
      .replace("twingate: { network: 'acme', managedGroups: ['Data Team'] },", "twingate: { network: 'acme' },")
      .replace("\n    { group: 'Data Team', resources: ['whoami'] },", '');
    writeFileSync(dev, after);
    commit('dev: kube-system on 8081, whoami to 192.0.2.0/24, no connector flow, no Data Team', clone);
    text = await runIn(clone, '--base', 'HEAD~1');
  });

  it('a pair whose ports changed gets a - and a + line; an address end is named as declared', () => {
    expect(text.code).toBe(0);
    expect(text.out[0]).toBe('8 objects changed in 1 environment and argocd/; 2 connections added, 2 removed; identity: 1 group removed');
    expect(
      text.out.slice(text.out.indexOf('connections:'), text.out.indexOf('unchanged: lab, lattice-cluster1, lattice-cluster2, prod, staging, urlshort')),
    ).toEqual([
      'connections:',
      '  - kube-system/coredns[Deployment] => whoami/whoami[Deployment] : TCP 8080',
      '  + kube-system/coredns[Deployment] => whoami/whoami[Deployment] : TCP 8081',
      '  - twingate/connector[Pod] => whoami/whoami[Deployment] : TCP 8080',
      '  + whoami/whoami[Deployment] => 192.0.2.0/24 : TCP 443',
      'identity (group -> Twingate resources -> Kubernetes role):',
      '  - Data Team -> whoami -> (no Kubernetes role)',
      '',
      '== argocd: 1 object changed',
      'manifests:',
      '  ~ AppProject argocd/dev-platform',
      '      @@ -78,8 +78,6 @@',
      '           - group: twingate.com',
      '             kind: TwingateGateway',
      '           - group: twingate.com',
      '      -      kind: TwingateGroup',
      '      -    - group: twingate.com',
      '             kind: TwingateResource',
      '           - group: twingate.com',
      '             kind: TwingateResourceAccess',
      '',
    ]);
    expect(text.out.filter((l) => /^ {4}[-+~] /.test(l))).toEqual([
      '    - NetworkPolicy twingate/allow-egress-twingate-connector-to-whoami-whoami-tcp-8080',
      '    + NetworkPolicy whoami/allow-egress-whoami-whoami-to-192.0.2.0-24-tcp-443',
      '    - NetworkPolicy whoami/allow-ingress-whoami-whoami-from-kube-system-all-tcp-8080',
      '    + NetworkPolicy whoami/allow-ingress-whoami-whoami-from-kube-system-all-tcp-8081',
      '    - NetworkPolicy whoami/allow-ingress-whoami-whoami-from-twingate-connector-tcp-8080',
      '    - TwingateGroup twingate/data-team',
      '    - TwingateResourceAccess twingate/whoami.whoami.data-team',
    ]);
  });
});

describe('pnpm diff: nothing changed, and errors', () => {
  it('by default against the merge base with main (here HEAD): no change, exit 0 even with --exit-code', async () => {
    const r = await run('--exit-code');
    expect(r.code).toBe(0);
    expect(r.out.slice(0, 2)).toEqual([
      '0 objects changed in 0 environments; 0 connections added, 0 removed; identity: no change',
      `base: merge-base of HEAD and main (${git('rev-parse', 'HEAD').slice(0, 7)}); compared with: the working tree`,
    ]);
    expect(r.out.at(-1)).toBe('unchanged: dev, lab, lattice-cluster1, lattice-cluster2, prod, staging, urlshort');
  });

  it('an unknown base is one error line', async () => {
    const r = await run('--base', 'no-such-ref');
    expect([r.code, r.err]).toEqual([1, ['error: unknown base revision "no-such-ref"']]);
  });

  it('a base that does not render is one error line, and its worktree is removed all the same', async () => {
    writeFileSync(join(repo, 'environments', 'broken.ts'), 'export default { name: "broken" };\n');
    commit('a broken environment');
    rmSync(join(repo, 'environments', 'broken.ts'));
    const r = await run('--base', 'HEAD');
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`error: the base (${git('rev-parse', 'HEAD').slice(0, 7)}) does not render: environment broken: aws: is required`]);
    expect(worktrees()).toBe(1);
  });
});
