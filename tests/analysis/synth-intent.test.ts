/**
 * End to end: `pnpm synth` with environments in a temporary directory. An intent violation
 * fails with one line naming the environment and entry, and writes nothing; a passing
 * environment gets its ACCESS.md.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/synth';

const LIB = resolve(__dirname, '../../platform/registry');

function environment(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'intent-envs-'));
  writeFileSync(
    join(dir, 'lab.ts'),
    `import { defineEnvironment } from ${JSON.stringify(LIB)};
export default defineEnvironment({
  name: 'lab',
  aws: { region: 'eu-west-2' },
  cluster: { name: 'lab', kubernetesVersion: '1.31' },
  network: { vpcCidr: '10.30.0.0/16', podCidr: '10.30.0.0/16', serviceCidr: '172.20.0.0/16' },
  namespaces: ['twingate', 'shop'],
  twingate: { network: 'acme' },
  apps: {
    web: { namespace: 'shop', image: 'traefik/whoami:v1.10.3', ports: { http: { containerPort: 8080 } } },
    api: { namespace: 'shop', image: 'traefik/whoami:v1.10.3', ports: { grpc: { containerPort: 9000 } } },
  },
  ${body}
});
`,
  );
  return dir;
}

async function synth(envDir: string) {
  const out = join(mkdtempSync(join(tmpdir(), 'intent-out-')), 'dist');
  const lines: string[] = [];
  const err: string[] = [];
  const code = await main(['--environments', envDir, '--out', out], { out: (l) => lines.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('synth proves the intent', () => {
  it('passes and writes ACCESS.md with the declared flows and those of the components', async () => {
    const r = await synth(
      environment(`flows: [
    { from: 'twingate/connector', to: 'shop/web', port: 'http' },
    { from: 'shop/web', to: 'shop/api', port: 'grpc' },
  ],
  blocked: [{ from: 'shop/api', to: 'shop/web' }, { from: { cidr: '0.0.0.0/0' }, to: 'shop/*', reason: 'no ingress from outside' }],
  groups: ['Engineering'],
  access: [{ group: 'Engineering', resources: ['web'], kubernetesRole: 'view' }],
  components: ['network-policy', 'external-secrets', 'twingate-operator', 'argo-cd'],`),
    );
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const access = readFileSync(join(r.out, 'lab', 'ACCESS.md'), 'utf8');
    // Columns: Argo CD's repo-server and Redis, the External Secrets webhook first (argo-cd and external-secrets, which the operator requires, are on too).
    expect(access).toContain('| shop/web[Deployment] |  |  |  |  | TCP 9000 [2](#flow-2) |  |  |  |  |  |');
    expect(access).toContain('| shop/* |  |  |  | TCP 53, UDP 53 [31](#flow-31) |  |  |  |  |  |  |');
    // The connector's row: its own egress (declared by the twingate-operator component) and the flow to shop/web.
    const connectorRow = access.split('\n').find((l) => l.startsWith('| twingate/connector[Pod] |'))!;
    expect(connectorRow).toBe(
      '| twingate/connector[Pod] |  |  |  |  |  | TCP 8080 [1](#flow-1) |  |  |  | TCP 443 [11](#flow-11)<br>TCP 30000-31000 [12](#flow-12) |',
    );
    expect(access).toContain(
      '| <a id="flow-11"></a>11 | twingate/connector (twingate/connector[Pod]) | internet: 0.0.0.0/0 except private ranges | TCP 443 | connector to the Twingate controller and relays (TLS) | component twingate-operator |',
    );
    expect(access).toContain('| Engineering | web (shop/web) | view in shop | none |');
    expect(access).toContain('  subgraph ns3["namespace shop"]');
    expect(access).toContain('| anywhere 0.0.0.0/0 | shop/* | no ingress from outside |');
  });

  it('fails with one line and writes nothing when a declared-blocked path is a declared flow', async () => {
    const r = await synth(
      environment(`components: ['network-policy', 'argo-cd'],
  flows: [{ from: 'shop/web', to: 'shop/api', port: 'grpc' }],
  blocked: [{ from: 'shop/api', to: 'shop/web' }, { from: 'shop/web', to: 'shop/api', reason: 'contradiction' }],`),
    );
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['error: environment lab: blocked[1]: shop/web -> shop/api is open (shop/web[Deployment] => shop/api[Deployment] : TCP 9000)']);
    expect(existsSync(r.out)).toBe(false);
  });

  it('fails when the network-policy component is off: the environment is open', async () => {
    const r = await synth(
      environment(`components: ['argo-cd'],
  flows: [{ from: 'shop/web', to: 'shop/api', port: 'grpc' }],
  blocked: [{ from: 'shop/api', to: 'shop/web', reason: 'callbacks are not allowed' }],`),
    );
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'error: environment lab: blocked[0]: shop/api -> shop/web is open (shop/api[Deployment] => shop/web[Deployment] : All Connections)',
    ]);
    expect(existsSync(r.out)).toBe(false);
  });

  it('fails naming a connection no flow declares when nothing is declared blocked', async () => {
    const r = await synth(environment(`components: ['argo-cd'], flows: [],`));
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      // Without network-policy every pod is open; the first connection named is one of Argo CD's.
      'error: environment lab: flows: the rendered NetworkPolicies allow argocd/argocd-application-controller[StatefulSet] => argocd/argocd-applicationset-controller[Deployment] : All Connections which no flow declares',
    ]);
    expect(existsSync(r.out)).toBe(false);
  });

  it('refuses an environment without argo-cd in one line: its cluster would have nothing to apply dist/argocd/', async () => {
    const r = await synth(environment(`components: ['network-policy'], flows: [],`));
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'error: environment lab: components: "argo-cd" must be enabled: Argo CD runs in the environment\'s cluster and applies dist/argocd/ (docs/argocd.md)',
    ]);
    expect(existsSync(r.out)).toBe(false);
  });
});
