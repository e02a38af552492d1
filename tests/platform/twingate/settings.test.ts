/**
 * The `twingate` block and its cross-checks: defaults, and bad input that must fail with one
 * clear line naming the environment and field, exit 1, and an output tree left untouched
 * (synth's `main` run in-process over a temporary environments directory).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as synth } from '../../../lib/cli/synth';
import { fileNameFor, readTree } from '../../../lib/output';
import { type EnvironmentInput, validate } from '../../../platform/registry';
import { chartConnectorCount, resolveTwingate } from '../../../platform/twingate/settings';
import { baseInput, mustValidate, ofKind, renderAll } from '../../support/twingate';

/** [case, input, expected path, expected message fragment] */
const BAD: [string, EnvironmentInput, string, RegExp][] = [
  ['unknown group', baseInput({ access: [{ group: 'Nobody', resources: ['whoami'] }] }), 'access[0].group', /group "Nobody" is not declared in groups/],
  [
    'resource for an unknown service',
    baseInput({ access: [{ group: 'Engineering', resources: ['grafana'] }] }),
    'access[0].resources[0]',
    /unknown app "grafana"/,
  ],
  [
    'duplicate alias',
    baseInput({ twingate: { network: 'acme', aliases: { whoami: 'kubernetes.test-eu.int' } } }),
    'twingate.aliases.whoami',
    /alias "kubernetes.test-eu.int" of app "whoami" is already used by twingate.gateway.alias/,
  ],
  [
    'the connector component listed by hand (chart connectors enable it)',
    baseInput({ components: ['network-policy', 'twingate-operator', 'twingate-access-gateway', 'twingate-connector'] }),
    'components[3]',
    /"twingate-connector" is enabled by the environment's settings .*remove it/,
  ],
  [
    'a connector set per remote network (one fact now)',
    baseInput({ twingate: { network: 'acme', connectors: [{ mode: 'chart' }] as never } }),
    'twingate.connectors',
    /is not a object/,
  ],
  [
    'a remote network name that reached nothing',
    baseInput({ twingate: { network: 'acme', remoteNetwork: 'aws-network' } as never }),
    'twingate',
    /unknown field "remoteNetwork"/,
  ],
  [
    'Everyone above view',
    baseInput({ groups: ['Everyone'], access: [{ group: 'Everyone', resources: [], kubernetesRole: 'edit' }] }),
    'access[0].kubernetesRole',
    /"edit" for "Everyone" is above view/,
  ],
  [
    'twingate:authenticated above view',
    baseInput({ groups: ['twingate:authenticated'], access: [{ group: 'twingate:authenticated', clusterRole: 'cluster-admin' }] }),
    'access[0].clusterRole',
    /"cluster-admin" for "twingate:authenticated" is above view/,
  ],
  [
    'a system: group',
    baseInput({ groups: ['system:masters'], access: [{ group: 'system:masters', resources: ['whoami'], kubernetesRole: 'view' }] }),
    'groups[0]',
    /"system:masters" is a Kubernetes system group name/,
  ],
  ['a system: group in other case', baseInput({ groups: ['System:Nodes'] }), 'groups[0]', /Kubernetes system group name/],
  [
    'kubernetesRole without apps',
    baseInput({ access: [{ group: 'Engineering', resources: [], kubernetesRole: 'view' }] }),
    'access[0].kubernetesRole',
    /applies in the namespaces of the apps in resources, and there are none/,
  ],
  [
    'cluster-admin outside the break-glass group',
    baseInput({ groups: ['Engineering', 'Admins'], breakGlassGroup: 'Admins', access: [{ group: 'Engineering', clusterRole: 'cluster-admin' }] }),
    'access[0].clusterRole',
    /"cluster-admin" is only for the break-glass group \(breakGlassGroup\); "Engineering" is not it/,
  ],
  [
    'cluster-admin without a break-glass group',
    baseInput({ access: [{ group: 'Engineering', clusterRole: 'cluster-admin' }] }),
    'access[0].clusterRole',
    /only for the break-glass group/,
  ],
  ['an undeclared break-glass group', baseInput({ breakGlassGroup: 'Admins' }), 'breakGlassGroup', /group "Admins" is not declared in groups/],
  [
    'Everyone as the break-glass group',
    baseInput({ groups: ['Everyone'], breakGlassGroup: 'Everyone', access: [] }),
    'breakGlassGroup',
    /every signed-in user or service account is in/,
  ],
  [
    'edit on an app in a platform namespace',
    baseInput({
      apps: { whoami: { namespace: 'twingate', image: 'traefik/whoami:v1.10.3', ports: { http: { containerPort: 8080 } } } },
      access: [{ group: 'Engineering', resources: ['whoami'], kubernetesRole: 'edit' }],
    }),
    'access[0].resources[0]',
    /app "whoami" is in platform namespace "twingate", where the access table grants at most "view", not "edit"/,
  ],
  [
    'gateway identity given resources',
    baseInput({ groups: ['twingate:authenticated'], access: [{ group: 'twingate:authenticated', resources: ['whoami'] }] }),
    'access[0].resources',
    /gateway identity, not a Twingate group/,
  ],
  [
    'the gateway without the operator',
    baseInput({ components: ['network-policy', 'twingate-access-gateway'] }),
    'components[1]',
    /"twingate-access-gateway" needs "twingate-operator"/,
  ],
  ['twingate component without twingate', baseInput({ twingate: undefined }), 'components[3]', /"twingate-operator" needs a twingate block/],
  [
    'undeclared managed group',
    baseInput({ twingate: { network: 'acme', managedGroups: ['Okta Admins'] } }),
    'twingate.managedGroups[0]',
    /"Okta Admins" is not declared/,
  ],
  [
    'managed built-in group',
    baseInput({ groups: ['Engineering', 'Everyone'], twingate: { network: 'acme', managedGroups: ['Everyone'] } }),
    'twingate.managedGroups[0]',
    /"Everyone" is built into Twingate/,
  ],
  [
    'managed gateway identity',
    baseInput({ groups: ['Engineering', 'twingate:authenticated'], twingate: { network: 'acme', managedGroups: ['twingate:authenticated'] } }),
    'twingate.managedGroups[0]',
    /gateway identity/,
  ],
  [
    'managed bootstrap group',
    baseInput({
      infra: {
        owner: 'a',
        nodes: { instanceTypes: ['m7i.large'] },
        bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/bootstrap', twingateGroup: 'Engineering' },
      },
      twingate: { network: 'acme', managedGroups: ['Engineering'] },
    }),
    'twingate.managedGroups[0]',
    /^"Engineering" is the bootstrap group \(infra\.bootstrap\.twingateGroup\); it must come from the identity provider, since it reaches the cluster before the operator runs$/,
  ],
  [
    'managed break-glass group',
    baseInput({
      access: [{ group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view', clusterRole: 'cluster-admin' }],
      breakGlassGroup: 'Engineering',
      twingate: { network: 'acme', managedGroups: ['Engineering'] },
    }),
    'twingate.managedGroups[0]',
    /break-glass group; it must come from the identity provider/,
  ],
  [
    'alias for an unknown app',
    baseInput({ twingate: { network: 'acme', aliases: { grafana: 'grafana.int' } } }),
    'twingate.aliases.grafana',
    /unknown app "grafana"/,
  ],
  [
    'chart connectors above one replica',
    baseInput({ twingate: { network: 'acme', connectors: { mode: 'chart', replicas: 2 } } }),
    'twingate.connectors.replicas',
    /one Helm release/,
  ],
  [
    'group names colliding as Kubernetes names',
    baseInput({ groups: ['Engineering', 'engineering'] }),
    'groups[1]',
    /map to the same Kubernetes name "engineering"/,
  ],
];

describe('twingate environment block', () => {
  it('fills defaults from the rest of the environment', () => {
    const tg = resolveTwingate(mustValidate(baseInput()));
    expect(tg.connectors).toEqual({ mode: 'operator', replicas: 1, peerToPeer: false });
    expect(tg.gatewayAlias).toBe('kubernetes.test-eu.int');
    expect(tg.kubernetesAddress).toBe('kubernetes.default.svc.cluster.local');
    expect(tg.secrets).toMatchObject({ store: 'aws-secrets-manager', apiKeyPath: 'zt-eks/test/twingate/api-key' });
    expect(tg.certificate.issuer).toEqual({ name: 'twingate-gateway-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  });

  it('chart connectors switch the connector component on, operator connectors leave it off', () => {
    const chart = mustValidate(baseInput({ twingate: { network: 'acme', connectors: { mode: 'chart' } } }));
    expect(chart.components).toContain('twingate-connector');
    expect(chartConnectorCount(chart)).toBe(1);
    const operator = mustValidate(baseInput({ twingate: { network: 'acme', connectors: { mode: 'operator', replicas: 3 } } }));
    expect(operator.components).not.toContain('twingate-connector');
    expect(chartConnectorCount(operator)).toBe(0);
  });

  it.each(BAD)('rejects %s with one problem at its field', (_case, input, path, message) => {
    const result = validate(input);
    expect('problem' in result).toBe(true);
    const { problem } = result as { problem: { path: string; message: string } };
    expect(problem.path).toBe(path);
    expect(problem.message).toMatch(message);
    expect(problem.message).not.toContain('\n');
  });
});

describe('names of Twingate objects built from long names', () => {
  const TG = `t${'g'.repeat(62)}`;
  const NS = `n${'s'.repeat(62)}`;
  const APP = `a${'p'.repeat(62)}`;
  /** A grant of a 63-character app in a 63-character namespace, from the Twingate namespace at 63 characters, to a group of `slug` characters. */
  const withGroup = (slug: number) =>
    baseInput({
      namespaces: [TG, NS],
      apps: { [APP]: { namespace: NS, image: 'traefik/whoami:v1.10.3', ports: { http: { containerPort: 8080 } } } },
      twingate: { network: 'acme', namespace: TG },
      groups: ['g'.repeat(slug)],
      access: [{ group: 'g'.repeat(slug), resources: [APP] }],
    });

  it('validation mirrors access.ts: the longest accepted grant renders a file name of exactly 255 characters', () => {
    const env = mustValidate(withGroup(35));
    const names = ofKind(renderAll(env), 'TwingateResourceAccess').map((o) => fileNameFor(o));
    expect(Math.max(...names.map((n) => n.length))).toBe(255);
  });

  it('one character more is a problem at the grant', () => {
    const r = validate(withGroup(36));
    expect('problem' in r && `${r.problem.path}: ${r.problem.message}`).toBe(
      'access[0].resources[0]: names too long: the TwingateResourceAccess file name of this grant would have 256 characters (at most 255); shorten the app, namespace or group name',
    );
  });
});

describe('pnpm synth with bad twingate input', () => {
  let dir: string;
  let envDir: string;
  let outDir: string;
  const write = (name: string, input: EnvironmentInput) =>
    writeFileSync(join(envDir, `${name}.mjs`), `export default ${JSON.stringify({ ...input, name })};\n`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twingate-synth-'));
    envDir = join(dir, 'environments');
    outDir = join(dir, 'dist');
    mkdirSync(envDir);
    write('good', baseInput());
    const lines: string[] = [];
    expect(await synth(['--environments', envDir, '--out', outDir], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), lines.join('\n')).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders the good environment first (so "untouched" means something)', () => {
    const files = [...readTree(outDir).keys()];
    expect(files.some((f) => f.startsWith('good/twingate-operator/'))).toBe(true);
    expect(files.some((f) => f.startsWith('good/twingate-access-gateway/'))).toBe(true);
  });

  let attempt = 0;
  it.each(BAD.slice(0, 4))('%s: exit 1, one line, dist untouched', async (_case, input, path) => {
    const before = readTree(outDir);
    // A new file name each time: the module cache would otherwise hand back the previous file.
    const name = `bad-${++attempt}`;
    write(name, input);
    const out: string[] = [];
    const err: string[] = [];
    try {
      const code = await synth(['--environments', envDir, '--out', outDir], { out: (l) => out.push(l), err: (l) => err.push(l) });
      expect(code).toBe(1);
    } finally {
      rmSync(join(envDir, `${name}.mjs`));
    }
    expect(err).toHaveLength(1);
    expect(err[0]!.split('\n')).toHaveLength(1);
    expect(err[0]!.startsWith(`error: environment ${name}: ${path}: `), err[0]).toBe(true);
    expect(out).toEqual([]);
    expect(readTree(outDir)).toEqual(before);
  });
});
