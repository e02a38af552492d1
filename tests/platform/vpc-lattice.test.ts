/**
 * The vpc-lattice component: its objects equal the cluster's `vpcLattice` view (routes, exports,
 * imports, the Gateway), every IAM auth policy allows exactly the route's declared callers and
 * nothing else (parsed back from the rendered JSON, also over random views), the controller chart
 * is rendered with the values and patch the component declares (no key material, no instance
 * metadata), the component is enabled exactly by the block, and the output passes kubeconform
 * -strict with the Gateway API and Lattice CRD schemas.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as validateCli } from '../../lib/cli/validate';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment, synthesize } from '../../lib/synth';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { GATEWAY_CONTROLLER_SERVICE_ACCOUNT } from '../../platform/shared/vpc-lattice';
import { addAwsRegion, controllerValues, GATEWAY_API_CRDS, WEBHOOK_CERTIFICATE, WEBHOOK_SECRET } from '../../platform/vpc-lattice';
import { type AuthPolicyDocument, authPolicy, INVOKE, SESSION_TAGS } from '../../platform/vpc-lattice/auth-policy';
import { CERTIFICATE_ARN_OPTION, CONTROLLER_NAME, FEDERATION_ANNOTATION, GATEWAY_CLASS, HEALTH_CHECK } from '../../platform/vpc-lattice/objects';
import { type LatticeView, type LatticeViewInput, latticeOf } from '../../platform/vpc-lattice/settings';
import { KUBECONFORM_SCHEMAS, skipWithoutKubeconform } from '../support';
import { FAKE_ACCOUNT, FAKE_CERTIFICATE_ARN, latticeInput, latticeView } from '../support/lattice';
import { mulberry32 } from '../support/prng';
import { mustValidate } from '../support/twingate';

type Obj = ApiObject & { metadata: { annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: any; webhooks?: any[] };

const NS = GATEWAY_CONTROLLER_SERVICE_ACCOUNT.namespace;

const objectsOf = (input: EnvironmentInput) => {
  const env = mustValidate(input);
  return { env, objects: renderEnvironment(env).find((c) => c.component === 'vpc-lattice')!.objects as Obj[] };
};
const ofKind = (objects: readonly Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const one = (objects: readonly Obj[], kind: string, name?: string) => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};
const key = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;

/** The identities an auth policy allows, as `<eks cluster>/<namespace>/<service account>`; fails on anything but the expected shape. */
function allowedCallers(policy: AuthPolicyDocument, accountId: string): string[] {
  expect(policy.Version).toBe('2012-10-17');
  const allowed: string[] = [];
  for (const s of policy.Statement) {
    expect(s.Action).toBe(INVOKE);
    expect(s.Resource).toBe('*');
    if (s.Effect === 'Deny') {
      expect(s.Condition).toBeUndefined();
      continue;
    }
    expect(s.Effect).toBe('Allow');
    expect(s.Principal).toEqual({ AWS: `arn:aws:iam::${accountId}:root` });
    expect(Object.keys(s.Condition ?? {})).toEqual(['StringEquals']);
    const eq = s.Condition!.StringEquals;
    expect(Object.keys(eq).sort()).toEqual(Object.values(SESSION_TAGS).sort());
    allowed.push(`${eq[SESSION_TAGS.eksClusterName]}/${eq[SESSION_TAGS.namespace]}/${eq[SESSION_TAGS.serviceAccount]}`);
  }
  return allowed.sort();
}
const declaredCallers = (route: LatticeView['routes'][number]) =>
  [...new Set(route.callers.map((c) => `${c.eksClusterName}/${c.namespace}/${c.serviceAccount}`))].sort();

describe('enabled by the vpcLattice block', () => {
  it('renders with the block and not without it; listing it is an error', () => {
    expect(mustValidate(latticeInput()).components).toContain('vpc-lattice');
    expect(mustValidate(latticeInput({ vpcLattice: undefined })).components).not.toContain('vpc-lattice');
    const listed = validate(latticeInput({ components: ['network-policy', 'cert-manager', 'vpc-lattice'] as never }));
    expect(listed).toEqual({ problem: { path: 'components[2]', message: '"vpc-lattice" is enabled by the environment\'s settings (see docs); remove it' } });
  });

  it('needs cert-manager (the webhook certificate): one line', () => {
    const r = validate(latticeInput({ components: ['network-policy'] }));
    expect('problem' in r && r.problem.message).toBe('"vpc-lattice" needs "cert-manager"');
  });
});

describe('the controller chart', () => {
  it('values: account and service network from the view, the cluster name, region and VPC left to AWS_REGION and eks:DescribeCluster', () => {
    const env = mustValidate(latticeInput());
    const v = controllerValues(env);
    expect(v.awsAccountId).toBe(FAKE_ACCOUNT);
    expect(v.defaultServiceNetwork).toBe('zt-lattice');
    expect(v.clusterName).toBe('lattice-cluster1');
    expect(v.awsRegion).toBe('');
    expect(v.clusterVpcId).toBe('');
    expect(v.serviceAccount).toEqual({ create: true, name: GATEWAY_CONTROLLER_SERVICE_ACCOUNT.name });
    expect(v.webhookTLS.certManager).toEqual({ enabled: true, certificateName: WEBHOOK_CERTIFICATE, certificateSecretName: WEBHOOK_SECRET });
  });

  it('the rendered Deployment runs as the exported ServiceAccount with AWS_REGION added, REGION and CLUSTER_VPC_ID empty', () => {
    const { objects } = objectsOf(latticeInput());
    const d = one(objects, 'Deployment');
    expect(d.metadata.namespace).toBe(NS);
    expect(d.spec.template.spec.serviceAccountName).toBe(GATEWAY_CONTROLLER_SERVICE_ACCOUNT.name);
    expect(one(objects, 'ServiceAccount').metadata.name).toBe(GATEWAY_CONTROLLER_SERVICE_ACCOUNT.name);
    const env = Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ AWS_REGION: 'eu-west-1', REGION: '', CLUSTER_VPC_ID: '', CLUSTER_NAME: 'lattice-cluster1', AWS_ACCOUNT_ID: FAKE_ACCOUNT });
    expect(env.DEFAULT_SERVICE_NETWORK).toBe('zt-lattice');
  });

  it('the patch is idempotent and follows the region: a reused tree (synth without the charts) is patched again', () => {
    const { objects } = objectsOf(latticeInput());
    const other = mustValidate(latticeInput({ aws: { region: 'us-east-2' } }));
    const again = addAwsRegion(addAwsRegion(objects as never, other), other);
    const regions = one(again as never, 'Deployment').spec.template.spec.containers[0].env.filter((e: { name: string }) => e.name === 'AWS_REGION');
    expect(regions).toEqual([{ name: 'AWS_REGION', value: 'us-east-2' }]);
  });

  it('no key material: the webhook Secret comes from a cert-manager Certificate, the webhook trusts its CA by injection', () => {
    const { objects } = objectsOf(latticeInput());
    expect(ofKind(objects, 'Secret')).toEqual([]);
    const cert = one(objects, 'Certificate', WEBHOOK_CERTIFICATE);
    expect(cert.spec.secretName).toBe(WEBHOOK_SECRET);
    expect(cert.spec.dnsNames).toEqual([`webhook-service.${NS}.svc`, `webhook-service.${NS}.svc.cluster.local`]);
    expect(one(objects, 'Issuer', cert.spec.issuerRef.name).spec).toEqual({ selfSigned: {} });
    const webhook = one(objects, 'MutatingWebhookConfiguration');
    expect(webhook.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(`${NS}/${WEBHOOK_CERTIFICATE}`);
    expect(webhook.webhooks?.[0].clientConfig.caBundle).toBeUndefined();
  });

  it('the patch fails loudly when the chart no longer renders what it patches', () => {
    const env = mustValidate(latticeInput());
    expect(() => addAwsRegion([], env)).toThrow(/rendered 0 Deployments gateway-api-controller/);
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gateway-api-controller' },
      spec: { template: { spec: { containers: [{ name: 'manager', env: [{ name: 'REGION', value: 'x' }] }] } } },
    };
    expect(() => addAwsRegion([d as never], env)).toThrow(/no longer sets REGION to ""/);
  });

  it('controller flows: API server both ways (its webhook), AWS endpoints, the Pod Identity agent', () => {
    const env = mustValidate(latticeInput());
    const flows = env.flows.filter((f) => f.origin === 'vpc-lattice');
    const show = (p: unknown) => (typeof p === 'string' ? p : (p as { cidr: string }).cidr);
    expect(flows.map((f) => `${show(f.from)} -> ${show(f.to)}`)).toEqual([
      `${NS}/controller -> 172.20.0.1/32`,
      `${NS}/controller -> 10.0.0.0/16`,
      `10.0.0.0/16 -> ${NS}/controller`,
      `${NS}/controller -> 169.254.170.23/32`,
    ]);
  });

  it('delivers the Gateway API standard CRDs (the chart ships only the Lattice ones)', () => {
    const { objects } = objectsOf(latticeInput());
    const crds = ofKind(objects, 'CustomResourceDefinition').map((o) => o.metadata.name);
    expect(crds.filter((n) => n.endsWith('.gateway.networking.k8s.io')).sort()).toEqual(
      GATEWAY_API_CRDS.files.map((f) => f.replace(/^gateway\.networking\.k8s\.io_(.*)\.yaml$/, '$1.gateway.networking.k8s.io')).sort(),
    );
    expect(crds.filter((n) => n.endsWith('.application-networking.k8s.aws'))).toHaveLength(7);
  });
});

describe('objects equal the view', () => {
  it('GatewayClass and one Gateway named after the service network, HTTPS with the ACM certificate, open to the route namespaces only', () => {
    const { objects } = objectsOf(latticeInput());
    expect(one(objects, 'GatewayClass', GATEWAY_CLASS).spec.controllerName).toBe(CONTROLLER_NAME);
    const gw = one(objects, 'Gateway');
    expect(gw.metadata.name).toBe('zt-lattice');
    expect(gw.spec.gatewayClassName).toBe(GATEWAY_CLASS);
    expect(gw.spec.listeners).toHaveLength(1);
    const l = gw.spec.listeners[0];
    expect([l.protocol, l.port, l.tls.mode, l.tls.options[CERTIFICATE_ARN_OPTION]]).toEqual(['HTTPS', 443, 'Terminate', FAKE_CERTIFICATE_ARN]);
    expect(l.tls.certificateRefs).toBeUndefined();
    expect(l.allowedRoutes.namespaces.selector.matchExpressions).toEqual([{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['apps'] }]);
  });

  it('one HTTPRoute per route: its hostname, on the Gateway, to its backend Service or ServiceImport', () => {
    const { env, objects } = objectsOf(latticeInput());
    const view = latticeOf(env);
    const routes = ofKind(objects, 'HTTPRoute');
    expect(routes.map(key).sort()).toEqual(view.routes.map((r) => `${r.namespace}/${r.name}`).sort());
    for (const r of view.routes) {
      const o = one(routes, 'HTTPRoute', r.name);
      expect(o.spec.hostnames).toEqual([r.hostname]);
      expect(o.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'zt-lattice', namespace: NS, sectionName: 'https' }]);
      expect(o.spec.rules).toHaveLength(1);
      const b = o.spec.rules[0].backendRefs;
      expect(b).toEqual([
        {
          group: r.backend.kind === 'Service' ? '' : 'application-networking.k8s.aws',
          kind: r.backend.kind,
          name: r.backend.name,
          port: r.backend.port,
          weight: 1,
        },
      ]);
    }
  });

  it('one ServiceExport (federated) and TargetGroupPolicy per export, one ServiceImport per import with the ports its routes use', () => {
    const { env, objects } = objectsOf(latticeInput());
    const view = latticeOf(env);
    expect(ofKind(objects, 'ServiceExport').map(key)).toEqual(view.exports.map((e) => `${e.namespace}/${e.app}`));
    for (const e of view.exports) {
      const x = one(objects, 'ServiceExport', e.app);
      expect(x.metadata.annotations).toMatchObject(FEDERATION_ANNOTATION);
      expect(x.spec.exportedPorts).toEqual([{ port: e.port, routeType: 'HTTP' }]);
      const tgp = one(objects, 'TargetGroupPolicy', e.app);
      expect(tgp.spec).toEqual({
        targetRef: { group: '', kind: 'Service', name: e.app, namespace: e.namespace },
        protocol: 'HTTP',
        protocolVersion: 'HTTP1',
        healthCheck: { ...HEALTH_CHECK },
      });
    }
    expect(ofKind(objects, 'ServiceImport').map(key)).toEqual(view.imports.map((i) => `${i.namespace}/${i.app}`));
    expect(one(objects, 'ServiceImport', 'app2').spec).toEqual({ type: 'ClusterSetIP', ports: [{ port: 80, protocol: 'TCP' }] });
  });

  it('a route to a backend in another namespace gets the ReferenceGrant Gateway API requires, and only then', () => {
    const base = latticeView();
    const moved = { ...base, routes: base.routes.map((r) => (r.name === 'app1' ? { ...r, namespace: 'edge' } : r)) };
    const { objects } = objectsOf(latticeInput({ namespaces: ['apps', 'edge'], vpcLattice: moved }));
    const grant = one(objects, 'ReferenceGrant');
    expect(grant.metadata.namespace).toBe('apps');
    expect(grant.spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'edge' }],
      to: [{ group: '', kind: 'Service', name: 'app1' }],
    });
    expect(one(objects, 'HTTPRoute', 'app1').spec.rules[0].backendRefs[0].namespace).toBe('apps');
    expect(one(objects, 'Gateway').spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values).toEqual(['apps', 'edge']);
    expect(ofKind(objectsOf(latticeInput()).objects, 'ReferenceGrant')).toEqual([]);
  });
});

describe('IAM auth policies allow exactly the declared callers', () => {
  it('one IAMAuthPolicy per route, targeting its HTTPRoute; its Allow statements are the callers, by session tags, in the account', () => {
    const { env, objects } = objectsOf(latticeInput());
    const view = latticeOf(env);
    const policies = ofKind(objects, 'IAMAuthPolicy');
    expect(policies.map(key).sort()).toEqual(view.routes.map((r) => `${r.namespace}/${r.name}`).sort());
    for (const r of view.routes) {
      const p = one(policies, 'IAMAuthPolicy', r.name);
      expect(p.spec.targetRef).toEqual({ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: r.name, namespace: r.namespace });
      expect(allowedCallers(JSON.parse(p.spec.policy), FAKE_ACCOUNT)).toEqual(declaredCallers(r));
    }
    expect(allowedCallers(JSON.parse(one(policies, 'IAMAuthPolicy', 'app1').spec.policy), FAKE_ACCOUNT)).toEqual(['lattice-cluster2/apps/app2']);
  });

  it('a route without callers allows nobody: one Deny of every request', () => {
    const base = latticeView();
    const { objects } = objectsOf(latticeInput({ vpcLattice: { ...base, routes: base.routes.map((r) => ({ ...r, callers: [] })) } }));
    for (const p of ofKind(objects, 'IAMAuthPolicy')) {
      const doc = JSON.parse(p.spec.policy) as AuthPolicyDocument;
      expect(doc.Statement).toEqual([{ Effect: 'Deny', Principal: '*', Action: INVOKE, Resource: '*' }]);
      expect(allowedCallers(doc, FAKE_ACCOUNT)).toEqual([]);
    }
  });

  it('the principal follows the partition of the service network (the certificate ARN)', () => {
    const route = latticeView().routes[0]!;
    const doc = authPolicy({ accountId: FAKE_ACCOUNT, certificateArn: 'arn:aws-cn:acm:cn-north-1:111122223333:certificate/abc' }, route as never);
    expect(doc.Statement.map((s) => s.Principal)).toEqual([{ AWS: 'arn:aws-cn:iam::111122223333:root' }]);
  });

  it('over 200 random views: allowed = declared callers (duplicates once), never a wildcard principal or another action', () => {
    const names = ['a', 'b', 'api', 'db', 'web'];
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = mulberry32(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
      const callers = Array.from({ length: Math.floor(rnd() * 6) }, () => {
        const app = pick(names);
        return {
          cluster: pick(['cluster1', 'cluster2']),
          eksClusterName: pick(['lattice-cluster1', 'lattice-cluster2']),
          namespace: pick(['apps', 'jobs']),
          serviceAccount: app,
          app,
        };
      });
      const route = { ...latticeView().routes[0]!, callers } as LatticeViewInput['routes'][number];
      const text = JSON.stringify(authPolicy({ accountId: FAKE_ACCOUNT, certificateArn: FAKE_CERTIFICATE_ARN }, route));
      const doc = JSON.parse(text) as AuthPolicyDocument;
      expect(allowedCallers(doc, FAKE_ACCOUNT), `seed ${seed}`).toEqual(declaredCallers(route as LatticeView['routes'][number]));
      expect(
        doc.Statement.filter((s) => s.Effect === 'Allow').every((s) => s.Principal !== '*'),
        `seed ${seed}`,
      ).toBe(true);
      expect(
        doc.Statement.every((s) => s.Action === INVOKE),
        `seed ${seed}`,
      ).toBe(true);
      expect(
        doc.Statement.some((s) => s.Effect === 'Deny'),
        `seed ${seed}`,
      ).toBe(callers.length === 0);
    }
  });
});

describe.skipIf(skipWithoutKubeconform)('kubeconform -strict with the Gateway API and Lattice CRD schemas', () => {
  it('a cluster unit with routes, exports, imports and a cross-namespace route is valid', async () => {
    const base = latticeView();
    const moved = { ...base, routes: base.routes.map((r) => (r.name === 'app1' ? { ...r, namespace: 'edge' } : r)) };
    const envs = [mustValidate(latticeInput()), mustValidate(latticeInput({ name: 'lattice-edge', namespaces: ['apps', 'edge'], vpcLattice: moved }))];
    const dir = mkdtempSync(join(tmpdir(), 'lattice-kubeconform-'));
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
      const files = readdirSync(join(dir, 'lattice-edge', 'vpc-lattice'));
      for (const kind of ['gateway', 'gatewayclass', 'httproute', 'iamauthpolicy', 'serviceexport', 'serviceimport', 'targetgrouppolicy', 'referencegrant'])
        expect(
          files.some((f) => f.startsWith(`${kind}.`)),
          kind,
        ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
