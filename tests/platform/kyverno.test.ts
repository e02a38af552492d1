/**
 * The kyverno component and the SigV4 injection policy, on fixture environments that carry a
 * `vpcLattice` block directly (tests/support/lattice.ts): two callers in different namespaces and
 * an app that calls nothing. The policy's match is evaluated against every Pod the environment
 * renders plus look-alikes (same label elsewhere, same namespace other label); the mutation is
 * applied as a strategic merge and the mutated Pod is run through the platform's own admission
 * policies (pinned images, restricted workloads), CEL evaluated as the API server does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { evaluate } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main as validateCli } from '../../lib/cli/validate';
import { POD_IDENTITY_AGENT } from '../../lib/cluster';
import type { Environment } from '../../lib/environment';
import { isFloatingTag } from '../../lib/environment';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment, synthesize } from '../../lib/synth';
import { admissionPolicies, policyObjects } from '../../platform/admission-policies';
import { ADMISSION_LABELS, ADMISSION_REPLICAS, KYVERNO_NAMESPACE, kyvernoValues, WEBHOOK_PORT } from '../../platform/kyverno';
import {
  AUTOGEN_ANNOTATION,
  LATTICE_SIGNING_NAME,
  POLICY_NAME,
  PROXY_CONTAINER,
  PROXY_IMAGE,
  PROXY_PORT,
  proxyConfigMapName,
} from '../../platform/kyverno/sigv4';
import { validate } from '../../platform/registry';
import { captureIo, KUBECONFORM_SCHEMAS, skipWithoutKubeconform, tempDir } from '../support';
import { latticeInput, latticeView, TWO_CALLERS } from '../support/sigv4';

type Obj = Record<string, any>;

function mustValidate(input: unknown): Environment {
  const r = validate(input);
  if ('problem' in r) throw new Error(`fixture invalid: ${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

const env = mustValidate(latticeInput(latticeView(TWO_CALLERS)));
const objects = renderEnvironment(env).flatMap((c) => c.objects.map((o) => ({ ...o, component: c.component }) as ApiObject & Obj));
const mine = objects.filter((o) => o.component === 'kyverno');
const policy = mine.find((o) => o.kind === 'ClusterPolicy')!;

// ---------------------------------------------------------------------------------------------
// A Kyverno match and strategic-merge mutation, for exactly the fields the policy uses. Any other
// field is refused, so the policy cannot grow a clause this evaluator would silently ignore.

interface PodUnderTest {
  namespace: string;
  labels: Record<string, string>;
  spec: Obj;
}

function ruleMatches(rule: Obj, pod: PodUnderTest, operation = 'CREATE'): boolean {
  expect(Object.keys(rule).sort()).toEqual(['match', 'mutate', 'name']);
  expect(Object.keys(rule.match)).toEqual(['any']);
  return (rule.match.any as Obj[]).some((filter) => {
    expect(Object.keys(filter)).toEqual(['resources']);
    const r = filter.resources as Obj;
    expect(Object.keys(r).sort()).toEqual(['kinds', 'namespaces', 'operations', 'selector']);
    expect(Object.keys(r.selector)).toEqual(['matchLabels']);
    return (
      r.kinds.includes('Pod') &&
      r.operations.includes(operation) &&
      r.namespaces.includes(pod.namespace) &&
      Object.entries(r.selector.matchLabels as Record<string, string>).every(([k, v]) => pod.labels[k] === v)
    );
  });
}

const matchingRules = (pod: PodUnderTest, operation?: string) => (policy.spec.rules as Obj[]).filter((r) => ruleMatches(r, pod, operation));

/** Strategic merge of lists keyed by `name` (containers, env, volumes, volumeMounts), maps merged, scalars replaced. */
function merge(base: any, patch: any): any {
  if (Array.isArray(patch)) {
    const out = [...(base ?? [])].map((x) => structuredClone(x));
    for (const item of patch) {
      expect(typeof item.name, 'every list in the patch is keyed by name').toBe('string');
      const i = out.findIndex((x) => x.name === item.name);
      if (i >= 0) out[i] = merge(out[i], item);
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (patch && typeof patch === 'object') {
    const out = { ...(base ?? {}) };
    for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
    return out;
  }
  return patch;
}

function mutate(pod: PodUnderTest): Obj {
  const object: Obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: pod.namespace, labels: pod.labels }, spec: structuredClone(pod.spec) };
  for (const rule of matchingRules(pod)) object.spec = merge(object.spec, rule.mutate.patchStrategicMerge.spec);
  return object;
}

/** Every pod template the environment renders, as the Pod its controller would create. */
const renderedPods: PodUnderTest[] = objects
  .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind))
  .map((o) => ({ namespace: o.metadata.namespace!, labels: o.spec.template.metadata.labels, spec: o.spec.template.spec }));
const podOf = (app: string) => renderedPods.find((p) => p.labels['app.kubernetes.io/name'] === app)!;

describe('kyverno: enabled by the Lattice view', () => {
  it('runs where the view lists a caller, not where it lists none or there is no view', () => {
    expect(env.components).toContain('kyverno');
    expect(mustValidate(latticeInput(latticeView([]))).components).not.toContain('kyverno');
    const { vpcLattice: _, ...noView } = latticeInput(latticeView(TWO_CALLERS));
    expect(mustValidate(noView).components).not.toContain('kyverno');
  });

  it('cannot be listed: the view switches it on', () => {
    const r = validate(latticeInput(latticeView(TWO_CALLERS), { components: ['network-policy', 'kyverno'] }));
    expect(r).toEqual({ problem: { path: 'components[1]', message: '"kyverno" is enabled by the environment\'s settings (see docs); remove it' } });
  });
});

describe('kyverno: the injection policy matches exactly the declared callers', () => {
  it('one rule per caller, Pods at creation, namespace AND app label', () => {
    expect(policy.apiVersion).toBe('kyverno.io/v1');
    expect(policy.metadata.name).toBe(POLICY_NAME);
    expect(policy.spec).toMatchObject({ admission: true, background: false, failurePolicy: 'Fail' });
    // Pods only: no rules auto-generated for Deployments (Argo CD would see them mutated).
    expect((policy.metadata.annotations as Record<string, string>)[AUTOGEN_ANNOTATION]).toBe('none');
    expect((policy.spec.rules as Obj[]).map((r) => r.name)).toEqual(['inject-apps-app1', 'inject-billing-payer']);
  });

  it('of every rendered Pod, exactly the callers are mutated, each by its own rule', () => {
    const matched = renderedPods.filter((p) => matchingRules(p).length > 0).map((p) => `${p.namespace}/${p.labels['app.kubernetes.io/name']}`);
    expect(matched.sort()).toEqual(['apps/app1', 'billing/payer']);
    expect(renderedPods.length).toBeGreaterThan(3); // apps and the admission controller, not only callers
    for (const p of renderedPods) expect(matchingRules(p).length).toBeLessThanOrEqual(1);
    expect(matchingRules(podOf('bystander'))).toEqual([]);
  });

  it('a caller label in another namespace, or another label in a caller namespace, is not matched', () => {
    const app1 = podOf('app1');
    expect(matchingRules({ ...app1, namespace: 'billing' })).toEqual([]); // app1's label, payer's namespace
    expect(matchingRules({ ...app1, labels: { 'app.kubernetes.io/name': 'payer' } })).toEqual([]); // payer's label, app1's namespace
    expect(matchingRules({ ...app1, labels: { app: 'app1' } })).toEqual([]); // a different label key
    expect(matchingRules(app1, 'UPDATE')).toEqual([]);
  });

  it('follows the view: a third caller adds a rule, removing one removes it', () => {
    const three = mustValidate(
      latticeInput(latticeView([...TWO_CALLERS, { namespace: 'apps', app: 'bystander', serviceAccount: 'bystander', hostnames: ['x.lattice.zt.internal'] }])),
    );
    const rules = (o: Environment) =>
      (
        renderEnvironment(o)
          .find((c) => c.component === 'kyverno')!
          .objects.find((x) => x.kind === 'ClusterPolicy') as Obj
      ).spec.rules.map((r: Obj) => r.name);
    expect(rules(three)).toEqual(['inject-apps-app1', 'inject-apps-bystander', 'inject-billing-payer']);
    expect(rules(mustValidate(latticeInput(latticeView([TWO_CALLERS[0]!]))))).toEqual(['inject-billing-payer']);
  });
});

describe('kyverno: the injected proxy', () => {
  it('is pinned, restricted and reached explicitly by the app (no init container, no NET_ADMIN)', () => {
    const pod = mutate(podOf('app1'));
    const proxy = pod.spec.containers.find((c: Obj) => c.name === PROXY_CONTAINER);
    expect(proxy.image).toBe(PROXY_IMAGE);
    expect(isFloatingTag(PROXY_IMAGE.split(':').pop())).toBe(false);
    expect(proxy.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10101,
      runAsGroup: 10101,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.spec.initContainers).toBeUndefined();
    expect(JSON.stringify(pod)).not.toContain('NET_ADMIN');
    expect(proxy.resources.limits).toMatchObject({ cpu: '200m', memory: '128Mi' });
    // The app container keeps its own settings and gains the proxy variables.
    const app = pod.spec.containers.find((c: Obj) => c.name === 'app1');
    expect(app.image).toBe('traefik/whoami:v1.10.3');
    const vars = Object.fromEntries(app.env.map((e: Obj) => [e.name, e.value]));
    expect(vars).toMatchObject({ HTTP_PROXY: `http://127.0.0.1:${PROXY_PORT}`, http_proxy: `http://127.0.0.1:${PROXY_PORT}` });
    expect(vars.NO_PROXY.split(',')).toEqual(['localhost', '127.0.0.1', '.svc', '.cluster.local']);
    expect(pod.spec.volumes).toEqual([{ name: 'sigv4-proxy-config', configMap: { name: proxyConfigMapName({ app: 'app1' }) } }]);
  });

  it('the mutated Pod passes the platform admission policies (pinned images, restricted workloads)', () => {
    const specs = admissionPolicies(env).filter((p) => ['pinned-images', 'restricted-workloads'].includes(p.name));
    expect(specs).toHaveLength(2);
    for (const app of ['app1', 'payer']) {
      const pod = mutate(podOf(app));
      for (const spec of specs) {
        const [p] = policyObjects(env, spec) as [Obj, Obj];
        expect(p.spec.matchConstraints.namespaceSelector.matchExpressions[0].values).toContain(pod.metadata.namespace);
        const ctx: Obj = { object: pod, oldObject: null, request: { operation: 'CREATE' }, variables: {} };
        for (const v of p.spec.variables ?? []) ctx.variables[v.name] = evaluate(v.expression, ctx);
        const denied = (p.spec.validations as Obj[]).filter((v) => evaluate(v.expression, ctx) !== true).map((v) => v.message);
        expect(denied, `${app}: ${spec.name}`).toEqual([]);
      }
      // ...and the same check refuses a proxy that escalates, so it can fail.
      const bad = structuredClone(pod);
      bad.spec.containers.find((c: Obj) => c.name === PROXY_CONTAINER).securityContext.allowPrivilegeEscalation = true;
      const [restricted] = policyObjects(env, specs.find((s) => s.name === 'restricted-workloads')!) as [Obj, Obj];
      const ctx: Obj = { object: bad, oldObject: null, request: { operation: 'CREATE' }, variables: {} };
      for (const v of restricted.spec.variables) ctx.variables[v.name] = evaluate(v.expression, ctx);
      expect((restricted.spec.validations as Obj[]).some((v) => evaluate(v.expression, ctx) !== true)).toBe(true);
    }
  });

  it("signs only for the caller's own hostnames, for vpc-lattice-svcs in the environment's region", () => {
    for (const caller of TWO_CALLERS) {
      const cm = mine.find((o) => o.kind === 'ConfigMap' && o.metadata.name === proxyConfigMapName(caller))!;
      expect(cm.metadata.namespace).toBe(caller.namespace);
      const config = parse(cm.data['envoy.yaml']) as Obj;
      const listener = config.static_resources.listeners[0];
      expect(listener.address.socket_address).toEqual({ address: '127.0.0.1', port_value: PROXY_PORT });
      const hcm = listener.filter_chains[0].filters[0].typed_config;
      expect(hcm.http_protocol_options).toEqual({ allow_absolute_url: true });
      const hosts = hcm.route_config.virtual_hosts;
      expect(hosts).toHaveLength(1);
      expect(hosts[0].domains).toEqual([...caller.hostnames].sort().flatMap((h) => [h, `${h}:80`]));
      const signing = hcm.http_filters.find((f: Obj) => f.name === 'envoy.filters.http.aws_request_signing').typed_config;
      expect(signing).toMatchObject({ service_name: LATTICE_SIGNING_NAME, region: 'eu-west-1', use_unsigned_payload: true });
      const upstream = config.static_resources.clusters[0];
      expect(upstream.transport_socket.typed_config.common_tls_context.validation_context.trusted_ca).toEqual({
        filename: '/etc/ssl/certs/ca-certificates.crt',
      });
      expect(upstream.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].upstream_http_protocol_options).toEqual({
        auto_sni: true,
        auto_san_validation: true,
      });
      expect(cm.data['ca.crt']).toBeUndefined();
    }
  });

  it("trusts the view's private CA when it carries one", () => {
    const pem = '-----BEGIN CERTIFICATE-----\nTUlJQmZha2VDZXJ0aWZpY2F0ZUZvclRlc3Rz\n-----END CERTIFICATE-----\n';
    const withCa = mustValidate(latticeInput(latticeView(TWO_CALLERS, { caCertificate: pem })));
    const cm = renderEnvironment(withCa)
      .find((c) => c.component === 'kyverno')!
      .objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'sigv4-proxy-app1') as Obj;
    expect(cm.data['ca.crt']).toBe(pem);
    const config = parse(cm.data['envoy.yaml']) as Obj;
    expect(config.static_resources.clusters[0].transport_socket.typed_config.common_tls_context.validation_context.trusted_ca).toEqual({
      filename: '/etc/sigv4-proxy/ca.crt',
    });
    const r = validate(latticeInput(latticeView(TWO_CALLERS, { caCertificate: 'not a certificate' })));
    expect(r).toEqual({ problem: { path: 'vpcLattice.caCertificate', message: 'is not a PEM certificate' } });
  });
});

describe('kyverno: the chart and its flows', () => {
  it('renders the admission controller only, Pod Security restricted, webhooks limited to the callers namespaces', () => {
    const deployments = mine.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name)).toEqual(['kyverno-admission-controller']);
    const d = deployments[0]!;
    expect(d.spec.replicas).toBe(ADMISSION_REPLICAS);
    expect(d.spec.template.metadata.labels).toMatchObject(ADMISSION_LABELS);
    for (const c of [...d.spec.template.spec.containers, ...d.spec.template.spec.initContainers]) {
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.image).toMatch(/:v1\.19\.0$/);
    }
    expect(mine.filter((o) => o.kind === 'Job' || o.kind === 'Pod')).toEqual([]); // no hooks, no helm tests
    expect(mine.some((o) => o.kind === 'PodDisruptionBudget')).toBe(true);
    // Nothing aggregated into the built-in admin/edit/view roles the access table grants.
    const aggregated = mine.filter((o) =>
      Object.keys(o.metadata.labels ?? {}).some((l) => /^rbac\.authorization\.k8s\.io\/aggregate-to-(admin|edit|view)$/.test(l)),
    );
    expect(aggregated.map((o) => o.metadata.name)).toEqual([]);
    const crds = mine.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);
    expect(crds).toContain('clusterpolicies.kyverno.io');
    const config = mine.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'kyverno')!;
    expect(JSON.parse(config.data.webhooks).namespaceSelector.matchExpressions[0]).toEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'In',
      values: ['apps', 'billing'],
    });
    expect(kyvernoValues(env).config.webhooks.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['apps', 'billing'] }],
    });
    const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === KYVERNO_NAMESPACE)!;
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    // Everything of the chart sits in its namespace; only the callers' proxy ConfigMaps sit elsewhere.
    expect(
      mine
        .filter((o) => o.metadata.namespace && o.metadata.namespace !== KYVERNO_NAMESPACE)
        .map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)
        .sort(),
    ).toEqual(['ConfigMap/apps/sigv4-proxy-app1', 'ConfigMap/billing/sigv4-proxy-payer']);
  });

  it('declares its flows: API server both ways, each caller proxy to the Pod Identity agent', () => {
    const flows = env.flows.filter((f) => f.origin === 'kyverno');
    const line = (f: (typeof flows)[number]) =>
      `${typeof f.from === 'string' ? f.from : f.from.cidr} -> ${typeof f.to === 'string' ? f.to : f.to.cidr} : ${f.ports.port}`;
    expect(flows.map(line).sort()).toEqual([
      '10.0.0.0/16 -> kyverno/admission-controller : 9443',
      'apps/app1 -> 169.254.170.23/32 : 80',
      'billing/payer -> 169.254.170.23/32 : 80',
      'kyverno/admission-controller -> 10.0.0.0/16 : 443',
      'kyverno/admission-controller -> 172.20.0.1/32 : 443', // the kubernetes Service's address
    ]);
    expect(WEBHOOK_PORT).toBe(9443);
    expect(POD_IDENTITY_AGENT).toEqual({ cidr: '169.254.170.23/32', port: 80 });
    // The bystander gets no Pod Identity flow: it runs no proxy.
    expect(flows.some((f) => f.from === 'apps/bystander')).toBe(false);
  });

  it('a caller with AWS statements declares the Pod Identity flow itself, once (validation requires it there)', () => {
    const input = latticeInput(latticeView(TWO_CALLERS));
    input.apps!.payer = {
      ...input.apps!.payer!,
      aws: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::ledger-exports/daily.csv'] }],
    };
    const agent = { cidr: POD_IDENTITY_AGENT.cidr };
    // Without the declared flow, the usual one-line error; with it, no duplicate with kyverno's.
    expect(validate(input)).toEqual({
      problem: {
        path: 'apps.payer.aws',
        message:
          'the app gets its AWS role from the EKS Pod Identity agent: declare the flow { from: "billing/payer", to: { cidr: "169.254.170.23/32" }, port: 80 }',
      },
    });
    const declared = mustValidate({ ...input, flows: [{ from: 'billing/payer', to: agent, port: POD_IDENTITY_AGENT.port }] });
    const toAgent = declared.flows.filter((f) => f.from === 'billing/payer' && typeof f.to !== 'string' && f.to.cidr === POD_IDENTITY_AGENT.cidr);
    expect(toAgent.map((f) => f.origin ?? 'declared')).toEqual(['declared']);
    expect(declared.flows.filter((f) => f.origin === 'kyverno' && f.from === 'apps/app1')).toHaveLength(1);
  });

  it('synthesizes with the intent proof and the reference check (no unresolved name)', () => {
    const { files } = synthesize([env]);
    const access = files.find((f) => f.path === 'lattice-cluster1/ACCESS.md')!.content;
    expect(access).toContain('kyverno/admission-controller');
    const policyFile = files.find((f) => f.path === `lattice-cluster1/kyverno/clusterpolicy.${POLICY_NAME}.yaml`)!;
    expect(parse(policyFile.content).metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-wave': '1' });
  });

  it.skipIf(skipWithoutKubeconform)(
    'kubeconform accepts it strictly with the Kyverno CRD schemas, and refuses a ClusterPolicy the schema refuses',
    async () => {
      const out = tempDir('zt-kyverno-');
      for (const f of synthesize([env]).files) {
        const p = join(out, 'good', f.path);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, f.content);
      }
      const io = captureIo();
      expect(await validateCli([join(out, 'good'), '--schemas', KUBECONFORM_SCHEMAS, '--no-cache'], io)).toBe(0);
      expect(io.lines.out.join('\n')).toMatch(/0 invalid, 0 errors, 0 skipped/);
      const bogus = join(out, 'bogus');
      mkdirSync(bogus);
      writeFileSync(
        join(bogus, 'clusterpolicy.x.yaml'),
        'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: x\nspec:\n  rules: []\n  notAField: true\n',
      );
      expect(await validateCli([bogus, '--schemas', KUBECONFORM_SCHEMAS, '--no-cache'], captureIo())).toBe(1);
    },
  );
});
