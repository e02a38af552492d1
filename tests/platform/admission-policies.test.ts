/**
 * The admission policies, rendered and evaluated: each policy's CEL runs (with
 * @marcbachmann/cel-js) on allowed and forbidden sample objects, the way the API server runs it
 * (variables first, in order, then every validation; a request is admitted when all hold).
 */
import { evaluate } from '@marcbachmann/cel-js';
import { beforeAll, describe, expect, it } from 'vitest';
import devInput from '../../environments/dev';
import type { Environment } from '../../lib/environment';
import {
  ARGOCD_CONTROLLER_USER,
  admissionPolicies,
  admissionPoliciesComponent,
  GARBAGE_COLLECTOR_USER,
  NAMESPACE_CONTROLLER_USER,
  servesV1Policies,
} from '../../platform/admission-policies';
import { validate } from '../../platform/registry';
import { clone, environments, objectsOf } from '../support';

type Obj = Record<string, any>;
interface Policy {
  metadata: { name: string };
  spec: {
    failurePolicy: string;
    matchConstraints: { namespaceSelector: { matchExpressions: { key: string; operator: string; values: string[] }[] }; resourceRules: Obj[] };
    variables?: { name: string; expression: string }[];
    validations: { expression: string; message: string }[];
  };
}

let envs: Environment[] = [];
let dev: Environment;
beforeAll(async () => {
  envs = await environments();
  dev = envs.find((e) => e.name === 'dev')!;
});
const ENV_NAMES = ['dev', 'prod', 'staging'];

function rendered(env: Environment) {
  const objects = objectsOf(env).filter((o) => o.component === 'admission-policies');
  const policies = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy') as unknown as Policy[];
  const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding') as unknown as Obj[];
  return { objects, policies, bindings };
}

function policy(env: Environment, short: string): Policy {
  const p = rendered(env).policies.find((x) => x.metadata.name === `zt-${env.name}-${short}`);
  if (!p) throw new Error(`no policy ${short} in ${env.name}`);
  return p;
}

/** The messages of the validations that fail: [] means admitted. */
function denials(p: Policy, object: Obj | null, request: Obj = {}): string[] {
  const ctx: Obj = { object, oldObject: null, request: { operation: 'CREATE', userInfo: { username: 'alice' }, ...request }, variables: {} };
  for (const v of p.spec.variables ?? []) ctx.variables[v.name] = evaluate(v.expression, ctx);
  return p.spec.validations.filter((v) => evaluate(v.expression, ctx) !== true).map((v) => v.message);
}

/** An UPDATE from `oldObject` to `object`. */
function denialsOnUpdate(p: Policy, oldObject: Obj, object: Obj, request: Obj): string[] {
  const ctx: Obj = { object, oldObject, request: { operation: 'UPDATE', ...request }, variables: {} };
  for (const v of p.spec.variables ?? []) ctx.variables[v.name] = evaluate(v.expression, ctx);
  return p.spec.validations.filter((v) => evaluate(v.expression, ctx) !== true).map((v) => v.message);
}

const container = (over: Obj = {}): Obj => ({
  name: 'app',
  image: 'traefik/whoami:v1.10.3',
  securityContext: { allowPrivilegeEscalation: false, privileged: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
  ...over,
});
const pod = (spec: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'whoami' },
  spec: { containers: [container()], ...spec },
});
const deployment = (podSpec: Obj): Obj => ({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { spec: podSpec } } });
const cronJob = (podSpec: Obj): Obj => ({ apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } });

describe('rendered policies', () => {
  it('every environment gets the four policies, each with a Deny binding', () => {
    for (const env of envs) {
      const { policies, bindings } = rendered(env);
      expect(policies.map((p) => p.metadata.name).sort()).toEqual(
        ['networkpolicies-from-argocd', 'no-external-services', 'pinned-images', 'restricted-workloads'].map((n) => `zt-${env.name}-${n}`),
      );
      for (const p of policies) {
        expect(p.spec.failurePolicy).toBe('Fail');
        const b = bindings.find((x) => x.spec.policyName === p.metadata.name)!;
        expect(b.spec.validationActions).toEqual(['Deny']);
        expect(b.apiVersion).toBe('admissionregistration.k8s.io/v1');
      }
    }
  });

  it('policies 1-3 select the namespaces the platform owns, policy 4 the app namespaces', () => {
    for (const env of envs) {
      const selected = (short: string) => policy(env, short).spec.matchConstraints.namespaceSelector.matchExpressions;
      for (const short of ['no-external-services', 'pinned-images']) {
        expect(selected(short)).toEqual([{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...env.namespaces].sort() }]);
      }
      // Namespaces with a Pod Security exception (Tailscale's proxies need privileges) are left out of policy 3 only.
      const exempt = env.name === 'lab' ? ['tailscale'] : [];
      expect(selected('restricted-workloads')).toEqual([
        { key: 'kubernetes.io/metadata.name', operator: 'In', values: [...env.namespaces].filter((n) => !exempt.includes(n)).sort() },
      ]);
      const appNs = [...new Set(Object.values(env.apps).map((a) => a.namespace))].sort();
      expect(selected('networkpolicies-from-argocd')[0]!.values).toEqual(appNs);
    }
  });

  it('an environment without apps has no NetworkPolicy writer policy (an empty In selector is invalid)', () => {
    expect(admissionPolicies({ ...dev, apps: {} }).map((p) => p.name)).not.toContain('networkpolicies-from-argocd');
  });

  it('is rendered only for clusters that serve the v1 API (Kubernetes 1.30 and later)', () => {
    expect(admissionPoliciesComponent.enabled(dev)).toBe(true);
    const input = clone(devInput) as any;
    input.cluster.kubernetesVersion = '1.29';
    const r = validate(input);
    if ('problem' in r) throw new Error(r.problem.message);
    expect(servesV1Policies(r.env)).toBe(false);
    expect(rendered(r.env).objects).toEqual([]);
  });
});

describe('1. no LoadBalancer or NodePort Services', () => {
  const p = () => policy(dev, 'no-external-services');
  const svc = (type?: string): Obj => ({ apiVersion: 'v1', kind: 'Service', spec: { ...(type ? { type } : {}), ports: [{ port: 80 }] } });
  it('admits ClusterIP and a Service without a type', () => {
    expect(denials(p(), svc('ClusterIP'))).toEqual([]);
    expect(denials(p(), svc())).toEqual([]);
  });
  it('denies LoadBalancer and NodePort', () => {
    expect(denials(p(), svc('LoadBalancer'))).toHaveLength(1);
    expect(denials(p(), svc('NodePort'))).toHaveLength(1);
  });
});

describe('2. pinned images', () => {
  const p = () => policy(dev, 'pinned-images');
  const withImage = (image: string) => pod({ containers: [container({ image })] });
  const digest = `@sha256:${'a'.repeat(64)}`;
  it.each(['traefik/whoami:v1.10.3', 'busybox:1.36.1', 'registry.example.com:5000/team/app:2.0.0', `busybox${digest}`, `busybox:latest${digest}`])(
    'admits %s',
    (image) => {
      expect(denials(p(), withImage(image))).toEqual([]);
    },
  );
  it.each([
    'busybox',
    'busybox:latest',
    'twingate/connector:1',
    'nginx:v1',
    'app:stable',
    'app:main',
    'app:master',
    'app:edge',
    'registry.example.com:5000/team/app',
  ])('denies %s', (image) => {
    expect(denials(p(), withImage(image))).toHaveLength(1);
  });
  it('looks into init containers and every pod template kind', () => {
    expect(denials(p(), pod({ initContainers: [container({ image: 'busybox:latest' })] }))).toHaveLength(1);
    expect(denials(p(), deployment({ containers: [container({ image: 'busybox' })] }))).toHaveLength(1);
    expect(denials(p(), cronJob({ containers: [container({ image: 'busybox:1' })] }))).toHaveLength(1);
    expect(denials(p(), cronJob({ containers: [container()] }))).toEqual([]);
  });
});

describe('3. restricted workloads', () => {
  const p = () => policy(dev, 'restricted-workloads');
  it('admits the restricted container the platform renders, with runAsNonRoot on the pod or the container', () => {
    expect(denials(p(), pod())).toEqual([]);
    const sc = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
    expect(denials(p(), deployment({ securityContext: { runAsNonRoot: true }, containers: [container({ securityContext: sc })] }))).toEqual([]);
  });
  it('denies each forbidden field', () => {
    const cases: [Obj, string][] = [
      [pod({ hostNetwork: true }), 'host namespaces'],
      [pod({ hostPID: true }), 'host namespaces'],
      [pod({ hostIPC: true }), 'host namespaces'],
      [pod({ containers: [container({ securityContext: { ...container().securityContext, privileged: true } })] }), 'privileged'],
      [pod({ containers: [container({ securityContext: { ...container().securityContext, allowPrivilegeEscalation: true } })] }), 'allowPrivilegeEscalation'],
      [pod({ containers: [container({ securityContext: { ...container().securityContext, capabilities: { drop: ['NET_RAW'] } } })] }), 'capabilities'],
      [pod({ containers: [container({ securityContext: { ...container().securityContext, runAsNonRoot: false } })] }), 'non-root'],
      [
        pod({ securityContext: { runAsNonRoot: true }, containers: [container({ securityContext: { ...container().securityContext, runAsNonRoot: false } })] }),
        'non-root',
      ],
      [pod({ containers: [container({ securityContext: undefined })] }), 'allowPrivilegeEscalation'],
      [pod({ initContainers: [container({ securityContext: { runAsNonRoot: true } })] }), 'capabilities'],
    ];
    for (const [object, what] of cases) {
      const denied = denials(p(), JSON.parse(JSON.stringify(object)));
      expect(
        denied.some((m) => m.includes(what)),
        `${JSON.stringify(object)} -> ${denied}`,
      ).toBe(true);
    }
  });
});

describe('the workloads synth renders pass policies 2 and 3', () => {
  const kinds = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);
  for (const name of ENV_NAMES) {
    it(name, () => {
      const env = envs.find((e) => e.name === name)!;
      const found: string[] = [];
      for (const o of objectsOf(env)) {
        if (!kinds.has(o.kind) || !env.namespaces.includes(o.metadata.namespace ?? '')) continue;
        for (const short of ['pinned-images', 'restricted-workloads']) {
          for (const m of denials(policy(env, short), o as Obj)) found.push(`${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${m}`);
        }
      }
      // Chart pods included: staging's chart-mode connector runs a pinned release, not the chart's floating `1`.
      expect(found).toEqual([]);
    });
  }
});

describe('4. NetworkPolicies in app namespaces only from Argo CD', () => {
  const p = () => policy(dev, 'networkpolicies-from-argocd');
  const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec: { podSelector: {} } };
  it('admits the Argo CD application controller, and the namespace controller deleting', () => {
    expect(ARGOCD_CONTROLLER_USER).toBe('system:serviceaccount:argocd:argocd-application-controller');
    for (const operation of ['CREATE', 'UPDATE', 'DELETE']) {
      expect(denials(p(), operation === 'DELETE' ? null : np, { operation, userInfo: { username: ARGOCD_CONTROLLER_USER } })).toEqual([]);
    }
    expect(denials(p(), null, { operation: 'DELETE', userInfo: { username: NAMESPACE_CONTROLLER_USER } })).toEqual([]);
  });
  it('denies anyone else, cluster admins included, and the namespace controller creating', () => {
    expect(denials(p(), np, { userInfo: { username: 'alice', groups: ['system:masters'] } })).toHaveLength(1);
    expect(denials(p(), null, { operation: 'DELETE', userInfo: { username: 'system:serviceaccount:whoami:whoami' } })).toHaveLength(1);
    expect(denials(p(), np, { operation: 'CREATE', userInfo: { username: NAMESPACE_CONTROLLER_USER } })).toHaveLength(1);
  });
  it('admits the garbage collector finishing a foreground deletion (a finalizer removed, the spec unchanged), and nothing more', () => {
    const gc = { userInfo: { username: GARBAGE_COLLECTOR_USER } };
    const terminating = { ...np, metadata: { name: 'default-deny', finalizers: ['foregroundDeletion'] } };
    const released = { ...np, metadata: { name: 'default-deny' } };
    expect(denialsOnUpdate(p(), terminating, released, gc)).toEqual([]);
    // The same identity changing what the policy allows, creating or deleting one: denied.
    const widened = { ...released, spec: { podSelector: {}, ingress: [{}] } };
    expect(denialsOnUpdate(p(), terminating, widened, gc)).toHaveLength(1);
    expect(denials(p(), np, { operation: 'CREATE', ...gc })).toHaveLength(1);
    expect(denials(p(), null, { operation: 'DELETE', ...gc })).toHaveLength(1);
    // Anyone else removing a finalizer: denied (a finalizer added by an app team could keep a policy git removed).
    expect(denialsOnUpdate(p(), terminating, released, { userInfo: { username: 'system:serviceaccount:whoami:whoami' } })).toHaveLength(1);
  });
});
