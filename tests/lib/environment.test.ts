/**
 * Bad environment input: every case must fail with exit code 1, exactly one line naming the
 * environment and the field path, and leave the output directory byte-identical.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import devInput from '../../environments/dev';
import { main as synth } from '../../lib/cli/synth';
import { loadEnvironments } from '../../lib/load';
import { readTree } from '../../lib/output';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { captureIo, clone, environmentsDir, REPO, tempDir } from '../support';

/** What environments/dev.ts passes to defineEnvironment: the authoring surface, not the validated environment. */
const dev: EnvironmentInput = devInput;

type Mutation = (e: any) => void;

/** [what, mutation of a valid dev environment, the exact error line] */
const CASES: [string, Mutation, string][] = [
  ['pod CIDR with a /33', (e) => (e.network.podCidr = '10.0.0.0/33'), 'error: environment dev: network.podCidr: "10.0.0.0/33" is not an IPv4 CIDR'],
  ['CIDR with host bits set', (e) => (e.network.vpcCidr = '10.10.0.1/16'), 'error: environment dev: network.vpcCidr: "10.10.0.1/16" is not an IPv4 CIDR'],
  [
    'service CIDR inside the VPC',
    (e) => (e.network.serviceCidr = '10.10.0.0/20'),
    'error: environment dev: network.serviceCidr: "10.10.0.0/20" overlaps the VPC CIDR "10.10.0.0/16"',
  ],
  [
    'app name that is not a DNS label',
    (e) => {
      e.apps.Whoami = e.apps.whoami;
      delete e.apps.whoami;
    },
    'error: environment dev: apps.Whoami: key "Whoami" is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)',
  ],
  [
    'port out of range',
    (e) => (e.apps.whoami.ports.http.containerPort = 70000),
    'error: environment dev: apps.whoami.ports.http.containerPort: 70000 is not a port number (1-65535)',
  ],
  [
    'port given as a string',
    (e) => (e.apps.whoami.ports.http.containerPort = '8080'),
    'error: environment dev: apps.whoami.ports.http.containerPort: "8080" is not a number',
  ],
  [
    'flow to an unknown app',
    (e) => (e.flows[0].to = 'whoami/nope'),
    'error: environment dev: flows[0].to: unknown workload "whoami/nope" (not an app or platform workload of this environment)',
  ],
  [
    'flow to an app in the wrong namespace',
    (e) => (e.flows[0].to = 'twingate/whoami'),
    'error: environment dev: flows[0].to: unknown workload "twingate/whoami" (did you mean "whoami/whoami"?)',
  ],
  [
    'flow to a port the app does not have',
    (e) => (e.flows[0].port = 'https'),
    'error: environment dev: flows[0].port: "whoami/whoami" has no port named "https" (it has "http")',
  ],
  [
    'access for an undeclared group',
    (e) => (e.access[0].group = 'Nobody'),
    'error: environment dev: access[0].group: group "Nobody" is not declared in groups',
  ],
  ['access to an unknown app', (e) => (e.access[0].resources = ['grafana']), 'error: environment dev: access[0].resources[0]: unknown app "grafana"'],
  ['namespace declared twice', (e) => e.namespaces.push('whoami'), 'error: environment dev: namespaces[2]: "whoami" is declared twice'],
  ['group declared twice', (e) => e.groups.push('Engineering'), 'error: environment dev: groups[2]: "Engineering" is declared twice'],
  [
    'image on latest',
    (e) => (e.apps.whoami.image = 'traefik/whoami:latest'),
    'error: environment dev: apps.whoami.image: "traefik/whoami:latest" is not pinned (use an explicit version tag or a digest, never latest)',
  ],
  [
    'image without a tag',
    (e) => (e.apps.whoami.image = 'traefik/whoami'),
    'error: environment dev: apps.whoami.image: "traefik/whoami" is not pinned (use an explicit version tag or a digest, never latest)',
  ],
  [
    'misspelt field',
    (e) => {
      e.flow = e.flows;
    },
    'error: environment dev: unknown field "flow"',
  ],
  [
    'app in an undeclared namespace',
    (e) => (e.apps.whoami.namespace = 'web'),
    'error: environment dev: apps.whoami.namespace: namespace "web" is not declared in namespaces',
  ],
  ['missing cluster name', (e) => delete e.cluster.name, 'error: environment dev: cluster.name: is required'],
  ['unknown protocol', (e) => (e.flows[0].protocol = 'HTTP'), 'error: environment dev: flows[0].protocol: "HTTP" is not one of "TCP", "UDP", "SCTP"'],
  [
    'owning kube-system',
    (e) => e.namespaces.push('kube-system'),
    'error: environment dev: namespaces[2]: "kube-system" is a Kubernetes system namespace; the platform cannot own it',
  ],
  [
    'chart version range',
    (e) => (e.charts = { connector: '^0.1.0' }),
    'error: environment dev: charts.connector: "^0.1.0" is not a pinned chart version (x.y.z)',
  ],
  [
    'except outside its CIDR',
    (e) => e.flows.push({ from: 'whoami/whoami', to: { cidr: '203.0.113.0/24', except: ['198.51.100.0/24'] }, port: 443 }),
    'error: environment dev: flows[1].to.except[0]: "198.51.100.0/24" is not inside "203.0.113.0/24"',
  ],
  [
    'endPort below port',
    (e) => e.flows.push({ from: 'whoami/whoami', to: { cidr: '203.0.113.0/24' }, port: 30000, endPort: 20000 }),
    'error: environment dev: flows[1].endPort: 20000 is below port 30000',
  ],
  ['duplicate flow', (e) => e.flows.splice(1, 0, clone(e.flows[0])), 'error: environment dev: flows[1]: duplicates an earlier flow'],
  [
    'a flow a component already declares',
    (e) => e.flows.push({ from: 'twingate/connector', to: 'twingate/gateway', port: 'https' }),
    'error: environment dev: flows: twingate/connector -> twingate/gateway : https is already declared by component twingate-access-gateway; remove it',
  ],
  [
    'an app named like a platform component',
    (e) => {
      e.apps['network-policy'] = e.apps.whoami;
    },
    'error: environment dev: apps.network-policy: "network-policy" is the name of a platform component; choose another app name',
  ],
  [
    'an unknown component',
    (e) => e.components.push('twingate-gatway'),
    'error: environment dev: components[3]: "twingate-gatway" is not one of "network-policy", "twingate-operator", "twingate-access-gateway"',
  ],
  [
    'an unknown chart',
    (e) => (e.charts = { gatway: '1.0.0' }),
    'error: environment dev: charts["gatway"]: unknown chart (known: "twingate-operator", "gateway", "connector")',
  ],
];

describe('malformed environments', () => {
  it.each(CASES)('%s: exit 1, one line, output untouched', async (_what, mutate, line) => {
    const input = clone(dev) as any;
    mutate(input);
    const envDir = environmentsDir('dev', JSON.stringify(input));
    // A populated output dir (a copy of the committed dist/) must come out byte-identical.
    const out = tempDir('zt-out-');
    cpSync(join(REPO, 'dist'), out, { recursive: true });
    const before = readTree(out);
    const io = captureIo();

    const code = await synth(['--environments', envDir, '--out', out], io);

    expect(code).toBe(1);
    expect(io.lines.err).toEqual([line]);
    expect(io.lines.out).toEqual([]);
    expect(readTree(out)).toEqual(before);
  });

  it('names the file when the name does not match it', async () => {
    const envDir = environmentsDir('qa', JSON.stringify(dev));
    const io = captureIo();
    expect(await synth(['--environments', envDir, '--out', tempDir()], io)).toBe(1);
    expect(io.lines.err).toEqual(['error: environment dev: name: "dev" does not match its file name qa.ts']);
  });

  it('reports a file that does not load', async () => {
    const envDir = tempDir('zt-envs-');
    writeFileSync(join(envDir, 'dev.ts'), 'export default {{;\n');
    const io = captureIo();
    expect(await synth(['--environments', envDir, '--out', tempDir()], io)).toBe(1);
    expect(io.lines.err).toHaveLength(1);
    expect(io.lines.err[0]).toMatch(/^error: environment dev: cannot load .*dev\.ts: /);
  });

  it('rejects an unknown --env', async () => {
    const io = captureIo();
    expect(await synth(['--env', 'qa', '--out', tempDir()], io)).toBe(1);
    expect(io.lines.err).toEqual(['error: unknown environment "qa" (known: dev, prod, staging)']);
  });

  it('exits 1 with the one line and no stack from the real process', () => {
    const input = clone(dev) as any;
    input.network.podCidr = '10.0.0.0/33';
    const envDir = environmentsDir('dev', JSON.stringify(input));
    const out = tempDir('zt-out-');
    const run = spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['lib/cli/synth.ts', '--environments', envDir, '--out', join(out, 'dist')], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: environment dev: network.podCidr: "10.0.0.0/33" is not an IPv4 CIDR\n');
    expect(readTree(out).size).toBe(0);
  });
});

describe('valid environments', () => {
  it('the committed environments validate and keep their defaults', async () => {
    const envs = await loadEnvironments();
    expect(envs.map((e) => e.name)).toEqual(['dev', 'prod', 'staging']);
    for (const e of envs) {
      expect(e.cluster.domain).toBe('cluster.local');
      expect(e.components).toContain('network-policy');
    }
  });

  it('validation is pure data: the same input gives the same environment', () => {
    const a = validate(clone(dev));
    const b = validate(clone(dev));
    expect(a).toEqual(b);
    expect('env' in a).toBe(true);
  });
});
