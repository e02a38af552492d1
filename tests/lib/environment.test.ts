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
import { isFloatingTag } from '../../lib/environment';
import { loadEnvironments } from '../../lib/load';
import { readTree } from '../../lib/output';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { captureIo, clone, environmentsDir, REPO, tempDir } from '../support';

/** What environments/dev.ts passes to defineEnvironment: the authoring surface, not the validated environment. */
const dev: EnvironmentInput = devInput;

type Mutation = (e: any) => void;

/** Names at the Kubernetes limit (63), each allowed on its own, too long together in some names. */
const NS63 = `n${'s'.repeat(62)}`;
const APP63 = `a${'p'.repeat(62)}`;
/** An app of its own in a namespace of its own. */
const addApp = (e: any, name: string, namespace: string, ports: Record<string, unknown> = { http: { containerPort: 8080 } }) => {
  if (!e.namespaces.includes(namespace)) e.namespaces.push(namespace);
  e.apps[name] = { namespace, image: 'traefik/whoami:v1.10.3', ports };
};

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
    'error: environment dev: apps.Whoami: key "Whoami" is not a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)',
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
    'error: environment dev: flows[0] (twingate/connector -> whoami/nope : http).to: unknown workload "whoami/nope" (not an app or platform workload of this environment)',
  ],
  [
    'flow to an app in the wrong namespace',
    (e) => (e.flows[0].to = 'twingate/whoami'),
    'error: environment dev: flows[0] (twingate/connector -> twingate/whoami : http).to: unknown workload "twingate/whoami" (did you mean "whoami/whoami"?)',
  ],
  [
    'flow to a port the app does not have',
    (e) => (e.flows[0].port = 'https'),
    'error: environment dev: flows[0] (twingate/connector -> whoami/whoami : https).port: "whoami/whoami" has no port named "https" (it has "http")',
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
    'error: environment dev: apps.whoami.image: "traefik/whoami:latest" is not pinned (the tag "latest" floats: use an explicit version tag or a digest)',
  ],
  [
    'image on the floating tag stable',
    (e) => (e.apps.whoami.image = 'registry.example:5000/traefik/whoami:stable'),
    'error: environment dev: apps.whoami.image: "registry.example:5000/traefik/whoami:stable" is not pinned (the tag "stable" floats: use an explicit version tag or a digest)',
  ],
  [
    'image on the floating tag main',
    (e) => (e.apps.whoami.image = 'registry.example:5000/traefik/whoami:main'),
    'error: environment dev: apps.whoami.image: "registry.example:5000/traefik/whoami:main" is not pinned (the tag "main" floats: use an explicit version tag or a digest)',
  ],
  [
    'image on the floating tag master',
    (e) => (e.apps.whoami.image = 'registry.example:5000/traefik/whoami:master'),
    'error: environment dev: apps.whoami.image: "registry.example:5000/traefik/whoami:master" is not pinned (the tag "master" floats: use an explicit version tag or a digest)',
  ],
  [
    'image on the floating tag edge',
    (e) => (e.apps.whoami.image = 'registry.example:5000/traefik/whoami:edge'),
    'error: environment dev: apps.whoami.image: "registry.example:5000/traefik/whoami:edge" is not pinned (the tag "edge" floats: use an explicit version tag or a digest)',
  ],
  [
    'image on the floating tag 1',
    (e) => (e.apps.whoami.image = 'registry.example:5000/traefik/whoami:1'),
    'error: environment dev: apps.whoami.image: "registry.example:5000/traefik/whoami:1" is not pinned (the tag "1" floats: use an explicit version tag or a digest)',
  ],
  [
    'image on the floating tag v1',
    (e) => (e.apps.whoami.image = 'registry.example:5000/traefik/whoami:v1'),
    'error: environment dev: apps.whoami.image: "registry.example:5000/traefik/whoami:v1" is not pinned (the tag "v1" floats: use an explicit version tag or a digest)',
  ],
  [
    'image without a tag',
    (e) => (e.apps.whoami.image = 'traefik/whoami'),
    'error: environment dev: apps.whoami.image: "traefik/whoami" is not pinned (no tag: use an explicit version tag or a digest)',
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
  [
    'unknown protocol',
    (e) => (e.flows[0].protocol = 'HTTP'),
    'error: environment dev: flows[0] (twingate/connector -> whoami/whoami : http).protocol: "HTTP" is not one of "TCP", "UDP", "SCTP"',
  ],
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
    'error: environment dev: flows[1] (whoami/whoami -> 203.0.113.0/24 except 198.51.100.0/24 : 443).to.except[0]: "198.51.100.0/24" is not inside "203.0.113.0/24"',
  ],
  [
    'endPort below port',
    (e) => e.flows.push({ from: 'whoami/whoami', to: { cidr: '203.0.113.0/24' }, port: 30000, endPort: 20000 }),
    'error: environment dev: flows[1] (whoami/whoami -> 203.0.113.0/24 : 30000-20000).endPort: 20000 is below port 30000',
  ],
  [
    'duplicate flow',
    (e) => e.flows.splice(1, 0, clone(e.flows[0])),
    'error: environment dev: flows[1] (twingate/connector -> whoami/whoami : http): duplicates an earlier flow',
  ],
  [
    'a flow a component already declares',
    (e) => e.flows.push({ from: 'twingate/connector', to: 'twingate/gateway', port: 'https' }),
    'error: environment dev: flows[1] (twingate/connector -> twingate/gateway : https): duplicates a flow of component twingate-access-gateway; remove it',
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
    'error: environment dev: components[6]: "twingate-gatway" is not one of "network-policy", "cert-manager", "external-secrets", "twingate-operator", "twingate-access-gateway", "tailscale-operator", "argo-cd", "spire-crds", "spire"',
  ],
  [
    'an unknown chart',
    (e) => (e.charts = { gatway: '1.0.0' }),
    'error: environment dev: charts["gatway"]: unknown chart (known: "cert-manager", "external-secrets", "twingate-operator", "gateway", "connector", "tailscale-operator", "argo-cd", "spire-crds", "spire", "aws-gateway-controller-chart", "kyverno")',
  ],
  // A flow or blocked path is named by its ends: spread lists (whoamiFlows, standardBlocked) hide indices.
  [
    'blocked path naming an unknown workload',
    (e) => e.blocked.push({ from: 'whoami/whoami', to: 'twingate/nope', reason: 'typo' }),
    'error: environment dev: blocked[4] (whoami/whoami -> twingate/nope).to: unknown workload "twingate/nope" (not an app or platform workload of this environment)',
  ],
  [
    'a flow whose peer is not even one line',
    (e) => (e.flows[0].from = 'twingate/\nconnector'),
    'error: environment dev: flows[0] ("twingate/\\nconnector" -> whoami/whoami : http).from: "twingate/\\nconnector" is not a peer ("<namespace>/<workload>", "<namespace>/*" or { cidr })',
  ],
  // Names: what the cluster or the file system would refuse, refused first.
  [
    'app name starting with a digit (a Service name is a DNS-1035 label)',
    (e) => addApp(e, '9lives', 'whoami'),
    'error: environment dev: apps["9lives"]: key "9lives" is not a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)',
  ],
  [
    'app name of 64 characters',
    (e) => addApp(e, `${APP63}x`, 'whoami'),
    `error: environment dev: apps.${APP63}x: key "${APP63}x" is not a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)`,
  ],
  [
    'namespace of 64 characters',
    (e) => e.namespaces.push(`${NS63}x`),
    `error: environment dev: namespaces[2]: "${NS63}x" is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
  ],
  [
    'an app named like a platform workload of its namespace',
    (e) => addApp(e, 'gateway', 'twingate'),
    'error: environment dev: apps.gateway: "twingate/gateway" is a workload of component twingate-access-gateway; choose another app name',
  ],
  [
    "an app whose pods carry a platform workload's labels",
    (e) => addApp(e, 'twingate-gateway', 'twingate'),
    'error: environment dev: apps.twingate-gateway: its pods\' labels would select the pods of "twingate/gateway" (component twingate-access-gateway); choose another app name',
  ],
  [
    'a flow whose NetworkPolicy file name would be too long',
    (e) => {
      addApp(e, APP63, NS63);
      e.flows.push({ from: 'twingate/connector', to: `${NS63}/${APP63}`, port: 'http' });
    },
    `error: environment dev: flows[1] (twingate/connector -> ${NS63}/${APP63} : http): names too long: its NetworkPolicy file name would have 257 characters (at most 252); shorten the namespace or app names`,
  ],
  [
    'a grant whose TwingateResourceAccess file name would be too long',
    (e) => {
      addApp(e, APP63, NS63);
      e.groups.push('G'.repeat(60));
      e.access.push({ group: 'G'.repeat(60), resources: [APP63] });
      // The Twingate namespace at the limit too.
      const tg = `t${'g'.repeat(62)}`;
      e.namespaces[0] = tg;
      e.twingate.namespace = tg;
      e.flows[0].from = `${tg}/connector`;
      e.blocked = [];
    },
    'error: environment dev: access[2].resources[0]: names too long: the TwingateResourceAccess file name of this grant would have 270 characters (at most 255); shorten the app, namespace or group name',
  ],
  [
    'an alias domain that leaves no room for the aliases',
    (e) => (e.twingate.aliasDomain = Array(4).fill('d'.repeat(62)).join('.')),
    'error: environment dev: twingate.aliasDomain: the gateway alias kubernetes.<aliasDomain> would have 262 characters (at most 253)',
  ],
  // Free text is one line: it goes into ACCESS.md tables and YAML.
  [
    'a blocked reason with a line break and a heading',
    (e) => (e.blocked[0].reason = 'apps stay out\n# Owned'),
    'error: environment dev: blocked[0] (whoami/whoami -> kube-system/*).reason: "apps stay out\\n# Owned" is not one line of text (no line breaks or control characters)',
  ],
  [
    'a flow description with a line separator',
    (e) => (e.flows[0].description = 'people\u2028reach whoami'),
    'error: environment dev: flows[0] (twingate/connector -> whoami/whoami : http).description: "people\u2028reach whoami" is not one line of text (no line breaks or control characters)',
  ],
  [
    'a group name with a line break',
    (e) => (e.groups[1] = 'Platform\nAdmins'),
    'error: environment dev: groups[1]: "Platform\\nAdmins" is not a group name (one line: no line breaks or control characters)',
  ],
  [
    'a gateway resource name with a control character',
    (e) => (e.twingate.gateway = { resourceName: 'dev\u0007 API' }),
    'error: environment dev: twingate.gateway.resourceName: "dev\\u0007 API" is not one line of text (no line breaks or control characters)',
  ],
  [
    'an infra owner tag with a line break',
    (e) => (e.infra.owner = 'platform\nteam'),
    'error: environment dev: infra.owner: "platform\\nteam" is not an owner tag value (letters, digits, spaces and _ . : / = + - @, at most 256)',
  ],
  // What a cluster would reject or a reviewer would never want.
  [
    'a CPU request above its limit (1 core > 500m)',
    (e) => (e.apps.whoami.resources = { requests: { cpu: '1', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } }),
    'error: environment dev: apps.whoami.resources.requests.cpu: "1" is above the limit "500m"',
  ],
  [
    'a memory request above its limit (135000k > 128Mi)',
    (e) => (e.apps.whoami.resources = { requests: { cpu: '100m', memory: '135000k' }, limits: { cpu: '0.1', memory: '128Mi' } }),
    'error: environment dev: apps.whoami.resources.requests.memory: "135000k" is above the limit "128Mi"',
  ],
  [
    'a literal password in env',
    (e) => (e.apps.whoami.env = { LOG_LEVEL: 'debug', DB_PASSWORD: 'hunter2' }),
    'error: environment dev: apps.whoami.env.DB_PASSWORD: a literal value under a secret-looking name; env holds plain settings, never secrets (deliver secrets through External Secrets, or rename the variable)',
  ],
  [
    'an AWS access key id in env, whatever the name',
    (e) => (e.apps.whoami.env = { S3_USER: 'AKIAIOSFODNN7EXAMPLE' }),
    'error: environment dev: apps.whoami.env.S3_USER: the value looks like an AWS access key id; env holds plain settings, never secrets (deliver secrets through External Secrets)',
  ],
  [
    'a private key in env',
    (e) => (e.apps.whoami.env = { TLS: '-----BEGIN PRIVATE KEY-----\nMIIB...' }),
    'error: environment dev: apps.whoami.env.TLS: the value looks like a PEM block; env holds plain settings, never secrets (deliver secrets through External Secrets)',
  ],
  [
    'a CIDR with leading zeros',
    (e) => (e.network.vpcCidr = '010.10.0.0/16'),
    'error: environment dev: network.vpcCidr: "010.10.0.0/16" is not written canonically (leading zeros); write "10.10.0.0/16"',
  ],
  [
    'a CIDR prefix length with a leading zero',
    (e) => e.flows.push({ from: 'whoami/whoami', to: { cidr: '203.0.113.0/024' }, port: 443 }),
    'error: environment dev: flows[1] (whoami/whoami -> 203.0.113.0/024 : 443).to.cidr: "203.0.113.0/024" is not an IPv4 CIDR',
  ],
  [
    'a CIDR prefix length written 08',
    (e) => (e.network.serviceCidr = '172.0.0.0/08'),
    'error: environment dev: network.serviceCidr: "172.0.0.0/08" is not written canonically (leading zeros); write "172.0.0.0/8"',
  ],
  [
    'a UDP flow to a TCP named port',
    (e) => (e.flows[0].protocol = 'UDP'),
    'error: environment dev: flows[0] (twingate/connector -> whoami/whoami : http).protocol: "UDP" contradicts port "http" of "whoami/whoami", which is TCP; leave protocol out (a named port carries its own)',
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
    expect(io.lines.err).toEqual(['error: unknown environment "qa" (known: dev, lab, lattice, prod, staging, urlshort)']);
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
    expect(envs.map((e) => e.name)).toEqual(['dev', 'lab', 'lattice-cluster1', 'lattice-cluster2', 'prod', 'staging', 'urlshort']);
    for (const e of envs) {
      expect(e.cluster.domain).toBe('cluster.local');
      expect(e.components).toContain('network-policy');
    }
  });

  it('accepts what the checks must not refuse: equal quantities in other units, plain settings, a protocol that agrees with its port', () => {
    const input = clone(dev) as any;
    input.apps.whoami.resources = { requests: { cpu: '0.5', memory: '0.125Gi' }, limits: { cpu: '500m', memory: '128Mi' } };
    input.apps.whoami.env = {
      LOG_LEVEL: 'debug',
      DB_PASSWORD: '',
      SIGNING_PUBLIC_KEY: 'ed25519',
      CALLBACK_URL: 'https://user@example.com/cb',
      BUILD: 'abc123',
      PATH_PREFIX: '/api/v1/orders/recent',
    };
    input.flows[0].protocol = 'TCP';
    const r = validate(input);
    expect('problem' in r ? `${r.problem.path}: ${r.problem.message}` : 'valid').toBe('valid');
  });

  it.each([
    ['500m', '0.5', true],
    ['1536Mi', '1.5Gi', true],
    ['1G', '1Gi', true],
    ['1Gi', '1G', false],
    ['1001m', '1', false],
    ['1024', '1Ki', true],
    ['1025', '1Ki', false],
    ['0.1', '100m', true],
  ])('request %s with limit %s: accepted is %s (exact comparison across units)', (request, limit, ok) => {
    const input = clone(dev) as any;
    input.apps.whoami.resources = { requests: { cpu: '10m', memory: request }, limits: { cpu: '10m', memory: limit } };
    const r = validate(input);
    expect('env' in r).toBe(ok);
  });

  it.each([
    ['SESSION', '3f8a9c2e4b7d1f6a0c5e8b2d9f4a7c1e', 'a long hexadecimal string'],
    ['BLOB', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1234', 'a long base64 string'],
    ['DATABASE_URL', 'postgres://app:s3cret@db.shop:5432/orders', 'a URL with a password'],
    ['GITHUB_TOKEN', 'qq-77', undefined],
    ['SIGNING_KEY', 'qq-77', undefined],
    ['AWS_SECRET', 'qq-77', undefined],
    ['smtp_password', 'qq-77', undefined],
  ])('env %s is refused without echoing its value', (name, value, looks) => {
    const input = clone(dev) as any;
    input.apps.whoami.env = { [name]: value };
    const r = validate(input);
    if (!('problem' in r)) throw new Error('accepted');
    expect(r.problem.path).toBe(`apps.whoami.env.${name}`);
    expect(r.problem.message).toContain(looks ? `looks like ${looks}` : 'secret-looking name');
    expect(r.problem.message).not.toContain(value);
  });

  it('free text cannot break ACCESS.md: pipes and HTML stay inside their cell', async () => {
    const input = clone(dev) as any;
    input.blocked[0].reason = 'never | ever <!-- hidden';
    input.groups[0] = 'Ops | On-Call <b>';
    input.access[0].group = 'Ops | On-Call <b>';
    const envDir = environmentsDir('dev', JSON.stringify(input));
    const out = join(tempDir('zt-out-'), 'dist');
    const io = captureIo();
    expect(await synth(['--environments', envDir, '--out', out], io)).toBe(0);
    const access = readTree(out).get('dev/ACCESS.md')!;
    const cells = (line: string) => line.split(/(?<!\\)\|/).length - 2;
    const blocked = access.split('\n').find((l) => l.startsWith('| whoami/whoami | kube-system/* |'))!;
    expect(blocked).toBe('| whoami/whoami | kube-system/* | never \\| ever &lt;!-- hidden |');
    expect(cells(blocked)).toBe(3);
    const group = access.split('\n').find((l) => l.startsWith('| Ops'))!;
    expect(group).toBe('| Ops \\| On-Call &lt;b> | whoami (whoami/whoami) | edit in whoami | none |');
    expect(cells(group)).toBe(4);
    expect(access).not.toContain('<!-- hidden');
  });

  it('validation is pure data: the same input gives the same environment', () => {
    const a = validate(clone(dev));
    const b = validate(clone(dev));
    expect(a).toEqual(b);
    expect('env' in a).toBe(true);
  });
});

describe('floating image tags', () => {
  it('channel names, bare majors and no tag float; versions do', () => {
    for (const t of [undefined, 'latest', 'stable', 'main', 'master', 'edge', 'LATEST', '1', 'v1', '20']) expect(isFloatingTag(t), String(t)).toBe(true);
    for (const t of ['1.2', 'v1.10.3', '2024.01', '1.2.3-alpine', 'sha-0a1b2c']) expect(isFloatingTag(t), t).toBe(false);
  });
});
