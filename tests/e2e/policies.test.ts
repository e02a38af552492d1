import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readUnit } from '../../e2e/plan';
import { judgeProbe, PROBES, policyNamespaces, probesFor } from '../../e2e/policies';
import type { ApiObject } from '../../lib/output';
import { ARGOCD_CONTROLLER_USER } from '../../platform/admission-policies';
import { REPO } from '../support';

const vap = (name: string, namespaces: string[]): ApiObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name },
  spec: { matchConstraints: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }] } } },
});

describe('probesFor', () => {
  it('makes a denied and an admitted probe per known policy, in the first namespace it selects', () => {
    const { probes, missing } = probesFor('dev', [
      vap('zt-dev-no-external-services', ['twingate', 'whoami']),
      vap('zt-dev-networkpolicies-from-argocd', ['whoami']),
    ]);
    expect(missing).toEqual([]);
    expect(probes.map((p) => [p.policy, p.expect, p.object.kind, p.object.metadata.namespace, p.as])).toEqual([
      ['zt-dev-no-external-services', 'denied', 'Service', 'twingate', ARGOCD_CONTROLLER_USER],
      ['zt-dev-no-external-services', 'admitted', 'Service', 'twingate', ARGOCD_CONTROLLER_USER],
      // The admin is denied, Argo CD's controller admitted: the policy is about who writes.
      ['zt-dev-networkpolicies-from-argocd', 'denied', 'NetworkPolicy', 'whoami', undefined],
      ['zt-dev-networkpolicies-from-argocd', 'admitted', 'NetworkPolicy', 'whoami', ARGOCD_CONTROLLER_USER],
    ]);
  });

  it('reports a policy without a probe, and one that selects no namespace', () => {
    const { probes, missing } = probesFor('dev', [vap('zt-dev-brand-new', ['x']), vap('zt-dev-pinned-images', [])]);
    expect(probes).toEqual([]);
    expect(missing).toEqual([
      'ValidatingAdmissionPolicy zt-dev-brand-new: no e2e probe (add one to e2e/policies.ts)',
      'ValidatingAdmissionPolicy zt-dev-pinned-images: selects no namespace by kubernetes.io/metadata.name',
    ]);
  });

  it("has a probe for every policy the repository's environments render", () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const plan = readUnit(join(REPO, 'dist'), env);
      const vaps = plan.components.flatMap((c) => c.manifests.map((m) => m.object)).filter((o) => o.kind === 'ValidatingAdmissionPolicy');
      expect(vaps.length, env).toBeGreaterThan(0);
      expect(probesFor(env, vaps).missing, env).toEqual([]);
      expect(vaps.every((v) => policyNamespaces(v).length > 0)).toBe(true);
    }
  });

  it('differs between the denied and the admitted probe only in what the policy checks', () => {
    const [denied, admitted] = PROBES['pinned-images']!('p', 'ns');
    const image = (o: ApiObject) => (o.spec as any).template.spec.containers[0].image;
    expect(image(denied!.object)).toMatch(/:latest$/);
    expect(image(admitted!.object)).toMatch(/:1\.2\.3$/);
    const [capable, restricted] = PROBES['restricted-workloads']!('p', 'ns');
    const context = (o: ApiObject) => (o.spec as any).template.spec.containers[0].securityContext;
    expect(context(capable!.object).capabilities).toBeUndefined();
    expect(context(restricted!.object).capabilities).toEqual({ drop: ['ALL'] });
    expect({ ...context(capable!.object), capabilities: { drop: ['ALL'] } }).toEqual(context(restricted!.object));
  });
});

describe('judgeProbe', () => {
  const [deny, admit] = PROBES['no-external-services']!('zt-dev-no-external-services', 'twingate');
  const denial =
    "The services \"zt-e2e-probe-nodeport\" is invalid: : ValidatingAdmissionPolicy 'zt-dev-no-external-services' with binding 'zt-dev-no-external-services' denied request: Services of type LoadBalancer or NodePort are not allowed";

  it('accepts a denial only when it names the policy', () => {
    expect(judgeProbe(deny!, { status: 1, stderr: denial })).toBeUndefined();
    expect(judgeProbe(deny!, { status: 0, stderr: '' })).toBe(
      'zt-dev-no-external-services: NodePort Service in twingate was not denied by the policy (exit 0)',
    );
    expect(judgeProbe(deny!, { status: 1, stderr: 'Error from server (Forbidden): namespaces "twingate" not found' })).toMatch(/was not denied by the policy/);
  });

  it('accepts an admission only without any stderr (a Pod Security warning fails it)', () => {
    expect(judgeProbe(admit!, { status: 0, stderr: '' })).toBeUndefined();
    expect(judgeProbe(admit!, { status: 0, stderr: 'Warning: would violate PodSecurity "restricted:latest": x\n' })).toBe(
      'zt-dev-no-external-services: ClusterIP Service in twingate was not admitted cleanly (exit 0: Warning: would violate PodSecurity "restricted:latest": x)',
    );
  });
});
