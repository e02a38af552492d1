/**
 * The tailscale-operator component: what it renders equals the environment (routes, tags, RBAC
 * from the access table, egress, split DNS), both providers render side by side, the tailnet
 * policy owns every tag, bad input fails synth with one line and leaves dist/ untouched, and
 * the output passes kubeconform -strict with the Tailscale CRD schemas.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fileDigest, readCrdLock } from '../../lib/charts/crds';
import { main as synth } from '../../lib/cli/synth';
import { main as validateCli } from '../../lib/cli/validate';
import { loadEnvironments } from '../../lib/load';
import { type ApiObject, readTree } from '../../lib/output';
import { renderEnvironment, synthesize } from '../../lib/synth';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { AWS_SECRET_STORE } from '../../platform/shared/external-secrets';
import { corednsAddonConfiguration, tailnetSplitDns } from '../../platform/tailscale/dns';
import { KUBERNETES_CAPABILITY, tailnetPolicy } from '../../platform/tailscale/policy';
import { resolveTailscale } from '../../platform/tailscale/settings';
import { AUTH_PROXY_CLUSTER_ROLE, EGRESS_PLACEHOLDER, operatorValues, TAILSCALE_CRDS, TAILSCALE_VERSION } from '../../platform/tailscale-operator';
import { KUBECONFORM_SCHEMAS, skipWithoutKubeconform } from '../support';
import { baseInput, mustValidate } from '../support/twingate';

type Obj = ApiObject & {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  rules?: any[];
  subjects?: any[];
  roleRef?: any;
};

/** A Tailscale-only environment; tests override what they probe. */
function tsInput(overrides: Partial<EnvironmentInput> = {}): EnvironmentInput {
  return baseInput({
    namespaces: ['tailscale', 'whoami'],
    network: { vpcCidr: '10.30.0.0/16', podCidr: '10.30.128.0/17', serviceCidr: '172.20.0.0/16' },
    groups: ['Engineering', 'Platform Admins'],
    access: [
      { group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view' },
      { group: 'Platform Admins', resources: ['whoami'], kubernetesRole: 'admin', clusterRole: 'cluster-admin' },
    ],
    breakGlassGroup: 'Platform Admins',
    twingate: undefined,
    tailscale: {},
    components: ['network-policy', 'external-secrets', 'tailscale-operator'],
    ...overrides,
  });
}

const render = (input: EnvironmentInput) => {
  const env = mustValidate(input);
  return { env, components: renderEnvironment(env) };
};
const objectsOf = (input: EnvironmentInput, component = 'tailscale-operator') =>
  render(input).components.find((c) => c.component === component)!.objects as Obj[];
const one = (objects: readonly Obj[], kind: string, name?: string) => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};

describe('subnet router', () => {
  it('advertises exactly the pod and service CIDRs, plus the VPC only when asked', () => {
    expect(one(objectsOf(tsInput()), 'Connector').spec.subnetRouter.advertiseRoutes).toEqual(['10.30.128.0/17', '172.20.0.0/16']);
    const withVpc = objectsOf(tsInput({ tailscale: { subnetRouter: { advertiseVpc: true, extraRoutes: ['10.30.8.0/24'] } } }));
    expect(one(withVpc, 'Connector').spec.subnetRouter.advertiseRoutes).toEqual(['10.30.128.0/17', '172.20.0.0/16', '10.30.0.0/16', '10.30.8.0/24']);
  });

  it('routes equal the CIDRs of every committed Tailscale environment (lab: pods are the VPC, advertised once)', async () => {
    const envs = (await loadEnvironments()).filter((e) => e.settings.tailscale !== undefined);
    expect(envs.map((e) => e.name)).toEqual(['lab']);
    for (const env of envs) {
      const ts = resolveTailscale(env);
      const connector = one(renderEnvironment(env).find((c) => c.component === 'tailscale-operator')!.objects as Obj[], 'Connector');
      const expected = [...new Set([env.network.podCidr, env.network.serviceCidr, ...(ts.subnetRouter.advertiseVpc ? [env.network.vpcCidr] : [])])];
      expect(connector.spec.subnetRouter.advertiseRoutes).toEqual(expected);
      expect(connector.spec.replicas).toBeGreaterThanOrEqual(2);
    }
  });

  it('runs two replicas by default and carries the tags of the environment', () => {
    const connector = one(objectsOf(tsInput({ tailscale: { subnetRouter: { replicas: 3, tags: ['tag:lab-router'] }, tagOwners: OWNERS } })), 'Connector');
    expect(connector.spec.replicas).toBe(3);
    expect(connector.spec.tags).toEqual(['tag:lab-router']);
    expect(one(objectsOf(tsInput()), 'Connector').spec.replicas).toBe(2);
  });
});

const OWNERS = { 'tag:k8s-operator': [], 'tag:k8s': ['tag:k8s-operator'], 'tag:lab-router': ['tag:k8s-operator'], 'tag:k8s-api-server': ['tag:k8s-operator'] };

describe('tailnet policy', () => {
  it('owns every tag the operator uses, auto-approves exactly the advertised routes for the router tags', () => {
    const env = mustValidate(tsInput({ tailscale: { subnetRouter: { tags: ['tag:lab-router'] }, tagOwners: OWNERS } }));
    const policy = tailnetPolicy(env);
    const objects = renderEnvironment(env).find((c) => c.component === 'tailscale-operator')!.objects as Obj[];
    const used = [...one(objects, 'Connector').spec.tags, ...one(objects, 'ProxyGroup').spec.tags, ...operatorValues(env).proxyConfig.defaultTags.split(',')];
    for (const tag of used) expect(policy.tagOwners[tag], tag).toContain('tag:k8s-operator');
    expect(policy.autoApprovers.routes).toEqual({ '10.30.128.0/17': ['tag:lab-router'], '172.20.0.0/16': ['tag:lab-router'] });
  });

  it('grants the API server proxy capability per group with a role, impersonating that group', () => {
    const env = mustValidate(tsInput({ tailscale: { groups: { 'Platform Admins': 'group:admins' } } }));
    const api = tailnetPolicy(env).grants.filter((g) => g.app);
    expect(api).toEqual([
      {
        src: ['group:engineering'],
        dst: ['tag:k8s-api-server'],
        ip: ['tcp:443'],
        app: { [KUBERNETES_CAPABILITY]: [{ impersonate: { groups: ['Engineering'] } }] },
      },
      {
        src: ['group:admins'],
        dst: ['tag:k8s-api-server'],
        ip: ['tcp:443'],
        app: { [KUBERNETES_CAPABILITY]: [{ impersonate: { groups: ['Platform Admins'] } }] },
      },
    ]);
    // Apps: the ports of the named apps through the router, and kube-dns for split DNS.
    expect(tailnetPolicy(env).grants.filter((g) => !g.app)).toEqual([
      { src: ['group:engineering'], dst: ['10.30.128.0/17', '172.20.0.0/16'], ip: ['tcp:80', 'tcp:8080'] },
      { src: ['group:admins'], dst: ['10.30.128.0/17', '172.20.0.0/16'], ip: ['tcp:80', 'tcp:8080'] },
      { src: ['group:admins', 'group:engineering'], dst: ['172.20.0.10/32'], ip: ['tcp:53', 'udp:53'] },
    ]);
  });
});

describe('API server proxy and RBAC', () => {
  it('binds exactly the access table: RoleBindings per app namespace, a ClusterRoleBinding per cluster-wide role', () => {
    const input = tsInput();
    const objects = objectsOf(input);
    const bindings = objects
      .filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')
      .filter((o) => o.metadata.name.startsWith('tailscale-group-'))
      .map(
        (o) => `${o.kind} ${o.metadata.namespace ?? '-'} ${o.metadata.name} ${o.roleRef.name} ${o.subjects!.map((s: any) => `${s.kind}:${s.name}`).join(',')}`,
      )
      .sort();
    expect(bindings).toEqual([
      'ClusterRoleBinding - tailscale-group-platform-admins cluster-admin Group:Platform Admins',
      'RoleBinding whoami tailscale-group-engineering view Group:Engineering',
      'RoleBinding whoami tailscale-group-platform-admins admin Group:Platform Admins',
    ]);
    const pg = one(objects, 'ProxyGroup');
    expect(pg.spec).toMatchObject({ type: 'kube-apiserver', replicas: 2, kubeAPIServer: { mode: 'auth', hostname: 'test-eu-api' } });
    // The chart's role impersonates any group; the patch keeps users and the groups with a role only.
    expect(one(objects, 'ClusterRole', AUTH_PROXY_CLUSTER_ROLE).rules).toEqual([
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
      { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['Engineering', 'Platform Admins'] },
    ]);
    // Its image is pinned through the ProxyClass (the default is k8s-proxy:latest).
    expect(one(objects, 'ProxyClass', pg.spec.proxyClass).spec.statefulSet.pod.tailscaleContainer.image).toBe(`tailscale/k8s-proxy:${TAILSCALE_VERSION}`);
  });

  it('renders no proxy, binding or impersonation role when switched off', () => {
    const objects = objectsOf(tsInput({ tailscale: { apiServer: { enabled: false } } }));
    expect(
      objects.filter((o) => ['ProxyGroup', 'RoleBinding', 'ClusterRoleBinding'].includes(o.kind) && /tailscale-group|api-server/.test(o.metadata.name)),
    ).toEqual([]);
    expect(objects.some((o) => o.metadata.name === AUTH_PROXY_CLUSTER_ROLE)).toBe(false);
  });
});

describe('egress and split DNS', () => {
  const egress = { db: { namespace: 'whoami', tailnetFqdn: 'db.tail1234.ts.net', ports: { pg: { port: 5432 } } } };

  it('an egress Service names its tailnet target and carries only the placeholder the API server requires', () => {
    const { components } = render(tsInput({ tailscale: { egress } }));
    const svc = one(components.find((c) => c.component === 'tailscale-operator')!.objects as Obj[], 'Service', 'db');
    expect(svc.metadata.namespace).toBe('whoami');
    expect(svc.metadata.annotations).toEqual({ 'tailscale.com/tailnet-fqdn': 'db.tail1234.ts.net' });
    expect(svc.spec).toEqual({ type: 'ExternalName', externalName: EGRESS_PLACEHOLDER, ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] });
    // Argo CD ignores what the operator writes there, in this component only (not every Service).
    const meta = (name: string) => components.find((c) => c.component === name)!.metadata;
    expect(meta('tailscale-operator').ignoreDifferences).toEqual([{ group: '', kind: 'Service', jqPathExpressions: ['.spec.externalName'] }]);
    expect(meta('tailscale-operator').syncOptions).toContain('RespectIgnoreDifferences=true');
    expect(meta('whoami').ignoreDifferences).toEqual([]);
  });

  it('the nameserver gets a fixed IP, and CoreDNS forwards the tailnet zone to exactly that IP', () => {
    const env = mustValidate(tsInput());
    const dns = one(renderEnvironment(env).find((c) => c.component === 'tailscale-operator')!.objects as Obj[], 'DNSConfig');
    expect(dns.spec.nameserver.service.clusterIP).toBe('172.20.0.53');
    expect(dns.spec.nameserver.image).toEqual({ repo: 'tailscale/k8s-nameserver', tag: TAILSCALE_VERSION });
    const corefile = JSON.parse(corednsAddonConfiguration(env)).corefile as string;
    expect(corefile).toContain('ts.net:53 {\n    errors\n    cache 30\n    forward . 172.20.0.53\n}');
    expect(corefile).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa');
    expect(tailnetSplitDns(env)).toEqual({ 'svc.cluster.local': ['172.20.0.10'] });
  });
});

describe('network: default deny with exactly the flows the operator and proxies need', () => {
  const flowsOf = (input: EnvironmentInput) =>
    mustValidate(input)
      .flows.filter((f) => f.origin === 'tailscale-operator')
      .map((f) => `${typeof f.from === 'string' ? f.from : f.from.cidr} -> ${typeof f.to === 'string' ? f.to : f.to.cidr} ${f.ports.protocol}/${f.ports.port}`);

  it('443 to the API server and the internet for the operator and every proxy; UDP only as the environment chooses', () => {
    const off = flowsOf(tsInput());
    expect(off.filter((f) => f.includes('UDP'))).toEqual(['kube-system/* -> tailscale/nameserver UDP/1053']);
    for (const w of ['operator', 'subnet-router', 'api-server-proxy']) {
      expect(off).toContain(`tailscale/${w} -> 0.0.0.0/0 TCP/443`);
      expect(off).toContain(`tailscale/${w} -> 172.20.0.1/32 TCP/443`);
    }
    const on = flowsOf(tsInput({ tailscale: { directConnections: true } }));
    expect(on.filter((f) => f.includes('UDP/41641')).sort()).toEqual([
      'tailscale/api-server-proxy -> 0.0.0.0/0 UDP/41641',
      'tailscale/subnet-router -> 0.0.0.0/0 UDP/41641',
    ]);
    expect(on.filter((f) => f.startsWith('tailscale/operator') && f.includes('UDP'))).toEqual([]);
  });

  it('the Tailscale namespace keeps default deny; only its Pod Security level is privileged, with the reason', () => {
    const { components } = render(tsInput());
    const np = components.find((c) => c.component === 'network-policy')!.objects;
    expect(np.some((o) => o.metadata.namespace === 'tailscale' && o.metadata.name === 'default-deny')).toBe(true);
    const ns = one(components.find((c) => c.component === 'namespaces')!.objects as Obj[], 'Namespace', 'tailscale');
    expect(ns.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns.metadata.annotations!['zt-eks-gitops/pod-security-reason']).toMatch(/privileged init container/);
    expect(
      one(components.find((c) => c.component === 'namespaces')!.objects as Obj[], 'Namespace', 'whoami').metadata.labels!['pod-security.kubernetes.io/enforce'],
    ).toBe('restricted');
  });
});

describe('chart and CRDs', () => {
  it('values set no secret and no in-process proxy; images pinned to the release', () => {
    const objects = objectsOf(tsInput());
    const values = operatorValues(mustValidate(tsInput()));
    expect(JSON.stringify(values)).not.toMatch(/clientSecret|clientId|oauth/);
    const deployment = one(objects, 'Deployment', 'operator');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe(`tailscale/k8s-operator:${TAILSCALE_VERSION}`);
    expect(container.env.find((e: any) => e.name === 'PROXY_IMAGE').value).toBe(`tailscale/tailscale:${TAILSCALE_VERSION}`);
    expect(deployment.spec.template.spec.volumes).toEqual([{ name: 'oauth', secret: { secretName: 'operator-oauth' } }]);
    const es = one(objects, 'ExternalSecret', 'operator-oauth');
    expect(es.spec.data.map((d: any) => `${d.secretKey}=${d.remoteRef.key}#${d.remoteRef.property}`)).toEqual([
      'client_id=zt-eks/test/tailscale/oauth-client#client_id',
      'client_secret=zt-eks/test/tailscale/oauth-client#client_secret',
    ]);
  });

  it('delivers the pinned upstream CRDs as published, recorded in component.json, synced server-side', () => {
    const { components } = render(tsInput());
    const mine = components.find((c) => c.component === 'tailscale-operator')!;
    const crds = (mine.objects as Obj[]).filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name)).toEqual([
      'connectors.tailscale.com',
      'dnsconfigs.tailscale.com',
      'peerrelays.tailscale.com',
      'proxyclasses.tailscale.com',
      'proxygrouppolicies.tailscale.com',
      'proxygroups.tailscale.com',
      'recorders.tailscale.com',
      'tailnets.tailscale.com',
    ]);
    expect(mine.metadata.crds?.names).toEqual(crds.map((c) => c.metadata.name));
    expect(mine.metadata.syncOptions).toContain('ServerSideApply=true');
    // Each URL is locked, and each rendered CRD is the upstream file's object, unchanged.
    const lock = readCrdLock();
    for (const file of TAILSCALE_CRDS.files) {
      const entry = lock.crds.find((c) => c.url === `${TAILSCALE_CRDS.baseUrl}/${file}`);
      expect(entry?.digest, file).toBe(fileDigest(readFileSync(join(process.env.ZT_CRDS_DIR!, TAILSCALE_CRDS.name, file))));
      const upstream = parse(readFileSync(join(process.env.ZT_CRDS_DIR!, TAILSCALE_CRDS.name, file), 'utf8'));
      expect(
        crds.find((c) => c.metadata.name === upstream.metadata.name),
        file,
      ).toEqual(upstream);
    }
  });

  it('reads its OAuth client from the ClusterSecretStore external-secrets provides, which admits its namespace', () => {
    const { components } = render(tsInput());
    const stores = components.flatMap((c) => c.objects.filter((o) => o.kind === 'ClusterSecretStore').map((o) => [c.component, o as Obj] as const));
    expect(stores.map(([component, s]) => [component, s.metadata.name])).toEqual([['external-secrets', AWS_SECRET_STORE]]);
    expect(stores[0]![1].spec.conditions[0].namespaces).toContain('tailscale');
    const es = one(objectsOf(tsInput()), 'ExternalSecret', 'operator-oauth');
    expect(es.metadata.namespace).toBe('tailscale');
    expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: AWS_SECRET_STORE });
  });

  it('cannot be enabled without external-secrets, which provides its store', () => {
    expect(validate(tsInput({ components: ['network-policy', 'tailscale-operator'] }))).toEqual({
      problem: { path: 'components[1]', message: '"tailscale-operator" needs "external-secrets"' },
    });
  });
});

/** Twingate and Tailscale side by side, each path to whoami declared. */
const both = () =>
  tsInput({
    namespaces: ['tailscale', 'twingate', 'whoami'],
    twingate: { network: 'acme' },
    tailscale: {},
    components: ['network-policy', 'cert-manager', 'external-secrets', 'twingate-operator', 'twingate-access-gateway', 'tailscale-operator'],
    flows: [
      { from: 'twingate/connector', to: 'whoami/whoami', port: 'http' },
      { from: 'tailscale/subnet-router', to: 'whoami/whoami', port: 'http' },
    ],
  });

describe('Twingate and Tailscale in one environment', () => {
  it('renders both without an object claimed twice, and both paths proven', () => {
    const env = mustValidate(both());
    const { components, files } = synthesize([env]);
    const names = components.map((c) => c.component);
    expect(names).toEqual(expect.arrayContaining(['tailscale-operator', 'twingate-operator', 'twingate-access-gateway']));
    const owners = new Map<string, string>();
    for (const c of components) {
      for (const o of c.objects) {
        const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
        expect(owners.get(key), `${key} rendered by ${owners.get(key)} and ${c.component}`).toBeUndefined();
        owners.set(key, c.component);
      }
    }
    // Each provider binds the same table under its own names.
    const bindings = (prefix: string) =>
      [...owners.keys()].filter((k) => k.includes(`/${prefix}-`) && k.includes('Binding/')).map((k) => k.replace(prefix, 'p'));
    expect(bindings('tailscale-group').sort()).toEqual(bindings('twingate-group').sort());
    const access = files.find((f) => f.path === 'test/ACCESS.md')!.content;
    expect(access).toContain('| Group (Twingate and tailnet) | Apps (Twingate resources, Tailscale subnet router) |');
    expect(access).toContain('-->|Twingate| r_whoami');
    expect(access).toContain('-->|Tailscale subnet router| r_whoami');
  });
});

describe('pnpm synth with bad tailscale input', () => {
  let dir: string;
  let envDir: string;
  let outDir: string;
  // synth checks the Argo CD objects each cluster receives too: argo-cd delivers their CRDs.
  const write = (name: string, input: EnvironmentInput) =>
    writeFileSync(join(envDir, `${name}.mjs`), `export default ${JSON.stringify({ ...input, name, components: [...(input.components ?? []), 'argo-cd'] })};\n`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tailscale-synth-'));
    envDir = join(dir, 'environments');
    outDir = join(dir, 'dist');
    mkdirSync(envDir);
    write('good', tsInput());
    expect(await synth(['--environments', envDir, '--out', outDir], { out: () => {}, err: () => {} })).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const BAD: [string, EnvironmentInput, string][] = [
    [
      'a route outside the VPC',
      tsInput({ tailscale: { subnetRouter: { extraRoutes: ['192.168.10.0/24'] } } }),
      'tailscale.subnetRouter.extraRoutes[0]: "192.168.10.0/24" is outside the VPC 10.30.0.0/16',
    ],
    [
      'an undeclared tag',
      tsInput({ tailscale: { subnetRouter: { tags: ['tag:nobody'] } } }),
      'tailscale.subnetRouter.tags[0]: tag "tag:nobody" is not declared in tailscale.tagOwners',
    ],
    [
      'a tag the operator does not own',
      tsInput({ tailscale: { tagOwners: { ...OWNERS, 'tag:k8s-subnet-router': ['tag:k8s-operator'], 'tag:k8s-api-server': ['group:admins'] } } }),
      'tailscale.apiServer.tags[0]: tag "tag:k8s-api-server" is not owned by the operator (tailscale.tagOwners["tag:k8s-api-server"] lists none of "tag:k8s-operator")',
    ],
    ['the provider switched on without its settings', tsInput({ tailscale: undefined }), 'components[2]: "tailscale-operator" needs a tailscale block'],
    [
      'a nameserver IP outside the service CIDR',
      tsInput({ tailscale: { dns: { nameserverIp: '10.30.0.53' } } }),
      'tailscale.dns.nameserverIp: "10.30.0.53" is outside the service CIDR 172.20.0.0/16',
    ],
  ];

  let attempt = 0;
  it.each(BAD)('%s: exit 1, one line naming environment and field, dist untouched', async (_case, input, message) => {
    const before = readTree(outDir);
    expect(before.size).toBeGreaterThan(10);
    const name = `bad-${++attempt}`;
    write(name, input);
    const out: string[] = [];
    const err: string[] = [];
    try {
      expect(await synth(['--environments', envDir, '--out', outDir], { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(1);
    } finally {
      rmSync(join(envDir, `${name}.mjs`));
    }
    expect(err).toEqual([`error: environment ${name}: ${message}`]);
    expect(out).toEqual([]);
    expect(readTree(outDir)).toEqual(before);
  });
});

describe.skipIf(skipWithoutKubeconform)('kubeconform -strict with the Tailscale CRD schemas', () => {
  it('lab and an environment with both providers are valid', async () => {
    const envs = [...(await loadEnvironments(undefined, ['lab'])), mustValidate(both())];
    const dir = mkdtempSync(join(tmpdir(), 'tailscale-kubeconform-'));
    try {
      for (const f of synthesize(envs).files.filter((x) => x.path.endsWith('.yaml'))) {
        mkdirSync(join(dir, f.path, '..'), { recursive: true });
        writeFileSync(join(dir, f.path), f.content);
      }
      const lines: string[] = [];
      const code = await validateCli([dir, '--schemas', KUBECONFORM_SCHEMAS, '--no-cache'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
      const output = lines.join('\n');
      expect(output).toMatch(/Kubernetes 1\.28\.0: ok \(\d+ valid, 0 invalid, 0 errors, 0 skipped\)/);
      expect(code).toBe(0);
      expect(readdirSync(join(dir, 'lab', 'tailscale-operator')).filter((f) => /^(connector|proxygroup|dnsconfig|proxyclass)\./.test(f))).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
