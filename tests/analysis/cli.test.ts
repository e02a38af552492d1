import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../analysis/cli';
import { generatePodDump } from '../../bench/generate';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'reach-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Multi-document YAML, a JSON List in a sub-directory, a Markdown file (ignored). */
const FIXTURES = join(__dirname, '../fixtures/shop');

describe('pnpm reach', () => {
  it("on the committed dist/dev shows the real platform: the charts' gateway and operator Deployments and their egress", async () => {
    const t = io();
    expect(await main([join(__dirname, '../../dist/dev')], t.io)).toBe(0);
    const lines = t.out.join('\n').split('\n');
    expect(lines.some((l) => l.startsWith('twingate/twingate-gateway[Deployment] => ') && l.endsWith(' : TCP 443'))).toBe(true);
    expect(lines.some((l) => l.startsWith('twingate/twingate-operator[Deployment] => ') && l.endsWith(' : TCP 443'))).toBe(true);
  });

  it('reads directories recursively (multi-document YAML, JSON Lists) and prints np-guard lines', async () => {
    const t = io();
    expect(await main([FIXTURES], t.io)).toBe(0);
    expect(t.out.join('\n').split('\n')).toEqual([
      '0.0.0.0-255.255.255.255 => shop/client[Deployment] : All Connections',
      'shop/client[Deployment] => 0.0.0.0-255.255.255.255 : All Connections',
      'shop/client[Deployment] => shop/web[Deployment] : TCP 8080',
    ]);
    expect(t.err).toEqual([]);
  });

  it('--json prints only a JSON array of {src, dst, conns}, sorted by src then dst', async () => {
    const t = io();
    expect(await main(['--json', join(FIXTURES, 'apps.yaml'), join(FIXTURES, 'nested')], t.io)).toBe(0);
    expect(JSON.parse(t.out.join('\n'))).toEqual([
      { src: '0.0.0.0-255.255.255.255', dst: 'shop/client[Deployment]', conns: 'All Connections' },
      { src: 'shop/client[Deployment]', dst: '0.0.0.0-255.255.255.255', conns: 'All Connections' },
      { src: 'shop/client[Deployment]', dst: 'shop/web[Deployment]', conns: ['TCP 8080'] },
    ]);
  });

  it.each([
    [['/no/such/dir'], /^error: cannot read \/no\/such\/dir: no such file or directory$/],
    [[], /error: missing required argument 'paths'/],
  ])('exit 1 with one line for %j', async (argv, message) => {
    const t = io();
    expect(await main(argv, t.io)).toBe(1);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(message);
  });

  it('exit 1 naming the file and line for invalid YAML', async () => {
    const t = io();
    const dir = tree({ 'bad.yaml': 'kind: Pod\nmetadata: {name: [\n' });
    expect(await main([dir], t.io)).toBe(1);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(/^error: .*bad\.yaml \(document 1\): invalid YAML at line \d+: /);
  });

  it('exit 1 naming the file, policy and field for a policy the API server would reject', async () => {
    const t = io();
    const dir = tree({
      'np.yaml':
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 80, protocol: ICMP}]}]\n',
    });
    expect(await main([dir], t.io)).toBe(1);
    expect(t.err).toEqual([
      expect.stringMatching(
        /^error: .*np\.yaml \(document 1\): NetworkPolicy n\/p: spec\.ingress\[0\]\.ports\[0\]\.protocol: "ICMP" is not one of "TCP", "UDP", "SCTP"$/,
      ),
    ]);
  });

  it('reports documents it does not analyse on stderr, one warning line each, and analyses the rest (exit 0)', async () => {
    const t = io();
    const dir = tree({
      'values.yaml': 'replicas: 2\n',
      'app.yaml':
        'apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: web, namespace: shop}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n',
    });
    expect(await main([dir], t.io)).toBe(0);
    expect(t.err).toEqual([
      expect.stringMatching(/^warning: .*app\.yaml \(document 1\): apps\/v1 Deploymnet shop\/web: unknown kind \(apps serves .*\); not analysed$/),
      expect.stringMatching(/^warning: .*values\.yaml \(document 1\): not a Kubernetes object \(no kind\)$/),
    ]);
    expect(t.out.join('\n')).toContain('shop/p[Pod] => 0.0.0.0-255.255.255.255 : All Connections');
  });

  it('--strict makes a document not analysed an error: one error line each, nothing on stdout, exit 1', async () => {
    const t = io();
    const dir = tree({ 'values.yaml': 'replicas: 2\n', 'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n' });
    expect(await main(['--strict', dir], t.io)).toBe(1);
    expect(t.err).toEqual([expect.stringMatching(/^error: .*values\.yaml \(document 1\): not a Kubernetes object \(no kind\)$/)]);
    expect(t.out).toEqual([]);
    const clean = io();
    expect(await main(['--strict', join(FIXTURES, 'apps.yaml')], clean.io)).toBe(0);
    expect(clean.err).toEqual([]);
  });

  it('documents its exit codes in --help', async () => {
    const t = io();
    expect(await main(['--help'], t.io)).toBe(0);
    const help = t.out.join('\n');
    expect(help).toContain('Exit codes:');
    expect(help).toMatch(/0 +analysis done/);
    expect(help).toMatch(/1 +user error/);
    expect(help).toMatch(/2 +internal error/);
    expect(help).toContain('--strict');
  });
});

describe('pnpm --silent reach as a process', () => {
  const tsx = join(__dirname, '../../node_modules/.bin/tsx');
  const cli = join(__dirname, '../../analysis/cli.ts');
  const fixtures = FIXTURES;

  it('prints the JSON array on stdout and exits 0', () => {
    const r = spawnSync(tsx, [cli, '--json', fixtures], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toContainEqual({ src: 'shop/client[Deployment]', dst: 'shop/web[Deployment]', conns: ['TCP 8080'] });
  });

  it('exits 1 with one error line, no stack trace, for a YAML alias bomb', () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(9)
          .fill(`*${'abcdefghij'[i - 1]}`)
          .join(',')}]`,
      );
    const dir = tree({ 'bomb.yaml': `${bomb.join('\n')}\n` });
    const r = spawnSync(tsx, [cli, dir], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*bomb\.yaml \(document 1\): invalid YAML: aliases expand beyond 1000 nodes/)]);
  });

  it('analyses a cluster dump of 3,000 pods (kubectl get -o yaml, one List) in a 160 MiB heap', () => {
    const dump = generatePodDump({ seed: 5, pods: 3000 });
    const dir = tree({
      'pods.yaml': stringify({ apiVersion: 'v1', kind: 'List', items: dump.pods, metadata: { resourceVersion: '' } }, { indentSeq: false }),
      'cluster.yaml': [...dump.namespaces, ...dump.policies].map((o) => stringify(o)).join('---\n'),
    });
    const r = spawnSync(tsx, [cli, dir], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=160' }, maxBuffer: 1 << 30 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // Static pods are workloads of their own; the pods of a ReplicaSet are one.
    expect(lines.some((l) => l.startsWith('kube-system/etcd-ip-10-0-0-1.ec2.internal[Pod] => '))).toBe(true);
    expect(lines.some((l) => l.startsWith('kube-system/aws-node[DaemonSet] => '))).toBe(true);
    expect(lines.some((l) => /\/debug-\w+\[Pod\] => /.test(l))).toBe(true);
  });

  it('exits 1 with one error line for a missing path', () => {
    const r = spawnSync(tsx, [cli, join(fixtures, 'missing.yaml')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: cannot read .*missing\.yaml: no such file or directory$/)]);
  });
});
