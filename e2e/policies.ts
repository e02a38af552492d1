/**
 * Probes for the platform's ValidatingAdmissionPolicies (the admission-policies component),
 * evaluated by the real API server: for each policy in the rendered tree, one object it must deny
 * and one it must admit, both sent with `--dry-run=server` so nothing is stored. The probes are
 * built from the rendered policy (its namespaces), not from the TypeScript that rendered it: e2e
 * tests what Argo CD would deliver. A policy without a probe here fails the run, so a new policy
 * cannot go untested.
 */

import type { ApiObject } from '../lib/output';
import { ARGOCD_CONTROLLER_USER } from '../platform/admission-policies';

/** One request and what the API server must answer. */
export interface Probe {
  readonly policy: string;
  readonly description: string;
  readonly object: ApiObject;
  /** User to impersonate; the admin (`system:masters`) when undefined. */
  readonly as: string | undefined;
  readonly expect: 'denied' | 'admitted';
}

/** A Deployment that passes Pod Security "restricted" and every platform policy, but for `patch`. */
function deployment(namespace: string, name: string, patch: { image?: string; keepCapabilities?: boolean } = {}): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'probe',
              image: patch.image ?? 'registry.example/zt-e2e-probe:1.2.3',
              securityContext: {
                allowPrivilegeEscalation: false,
                ...(patch.keepCapabilities ? {} : { capabilities: { drop: ['ALL'] } }),
                runAsNonRoot: true,
              },
            },
          ],
        },
      },
    },
  };
}

const service = (namespace: string, type: string): ApiObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `zt-e2e-probe-${type.toLowerCase()}`, namespace },
  spec: { type, selector: { app: 'zt-e2e-probe' }, ports: [{ port: 8080, targetPort: 8080 }] },
});

const networkPolicy = (namespace: string): ApiObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'zt-e2e-probe', namespace },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
});

type ProbeMaker = (policy: string, namespace: string) => Probe[];

/** Probes by policy name without the `zt-<env>-` prefix. */
export const PROBES: Readonly<Record<string, ProbeMaker>> = {
  'no-external-services': (policy, ns) => [
    { policy, description: `NodePort Service in ${ns}`, object: service(ns, 'NodePort'), as: ARGOCD_CONTROLLER_USER, expect: 'denied' },
    { policy, description: `ClusterIP Service in ${ns}`, object: service(ns, 'ClusterIP'), as: ARGOCD_CONTROLLER_USER, expect: 'admitted' },
  ],
  'pinned-images': (policy, ns) => [
    {
      policy,
      description: `Deployment with image :latest in ${ns}`,
      object: deployment(ns, 'zt-e2e-probe-latest', { image: 'registry.example/zt-e2e-probe:latest' }),
      as: ARGOCD_CONTROLLER_USER,
      expect: 'denied',
    },
    {
      policy,
      description: `Deployment with image :1.2.3 in ${ns}`,
      object: deployment(ns, 'zt-e2e-probe-pinned'),
      as: ARGOCD_CONTROLLER_USER,
      expect: 'admitted',
    },
  ],
  'restricted-workloads': (policy, ns) => [
    {
      policy,
      // Not `privileged`: the API server's own validation refuses that with allowPrivilegeEscalation: false.
      description: `Deployment whose container keeps its capabilities in ${ns}`,
      object: deployment(ns, 'zt-e2e-probe-capabilities', { keepCapabilities: true }),
      as: ARGOCD_CONTROLLER_USER,
      expect: 'denied',
    },
    {
      policy,
      description: `restricted Deployment in ${ns}`,
      object: deployment(ns, 'zt-e2e-probe-restricted'),
      as: ARGOCD_CONTROLLER_USER,
      expect: 'admitted',
    },
  ],
  'networkpolicies-from-argocd': (policy, ns) => [
    { policy, description: `NetworkPolicy in ${ns} by a cluster admin`, object: networkPolicy(ns), as: undefined, expect: 'denied' },
    { policy, description: `NetworkPolicy in ${ns} by Argo CD`, object: networkPolicy(ns), as: ARGOCD_CONTROLLER_USER, expect: 'admitted' },
  ],
};

/** The namespaces a rendered policy selects (`kubernetes.io/metadata.name In [...]`). */
export function policyNamespaces(vap: ApiObject): string[] {
  const spec = vap.spec as { matchConstraints?: { namespaceSelector?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] } } };
  return (spec.matchConstraints?.namespaceSelector?.matchExpressions ?? [])
    .filter((e) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'In')
    .flatMap((e) => e.values ?? []);
}

/**
 * Probes for the rendered policies of one environment (`zt-<env>-<policy>`), in the first
 * namespace each selects, and one line per policy that has no probe or no namespace.
 */
export function probesFor(env: string, vaps: readonly ApiObject[]): { probes: Probe[]; missing: string[] } {
  const probes: Probe[] = [];
  const missing: string[] = [];
  for (const vap of vaps) {
    const name = vap.metadata.name;
    const short = name.startsWith(`zt-${env}-`) ? name.slice(`zt-${env}-`.length) : name;
    const make = PROBES[short];
    const ns = policyNamespaces(vap)[0];
    if (!make) missing.push(`ValidatingAdmissionPolicy ${name}: no e2e probe (add one to e2e/policies.ts)`);
    else if (!ns) missing.push(`ValidatingAdmissionPolicy ${name}: selects no namespace by kubernetes.io/metadata.name`);
    else probes.push(...make(name, ns));
  }
  return { probes, missing };
}

/**
 * Judges one probe's kubectl result: a denial must name the policy (`ValidatingAdmissionPolicy
 * '<name>' ... denied request`); an admission must have no stderr at all (no Pod Security warning
 * either). Returns the problem, or undefined when the server answered as expected.
 */
export function judgeProbe(p: Probe, r: { status: number; stderr: string }): string | undefined {
  const denied = r.status !== 0 && r.stderr.includes(`ValidatingAdmissionPolicy '${p.policy}'`) && r.stderr.includes('denied request');
  if (p.expect === 'denied') return denied ? undefined : `${p.policy}: ${p.description} was not denied by the policy (${oneLine(r)})`;
  return r.status === 0 && r.stderr.trim() === '' ? undefined : `${p.policy}: ${p.description} was not admitted cleanly (${oneLine(r)})`;
}

const oneLine = (r: { status: number; stderr: string }) => `exit ${r.status}${r.stderr.trim() ? `: ${r.stderr.trim().replace(/\s*\n\s*/g, ' | ')}` : ''}`;
