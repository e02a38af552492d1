/**
 * Fixtures for the kyverno (SigV4 injection) suites: an ordinary environment carrying a `vpcLattice`
 * block directly (as the multi-cluster expansion derives it), so a component can be tested
 * without the expansion. Two callers in different namespaces and one app that calls nothing.
 */

import type { EnvironmentInput } from '../../platform/registry';
import type { LatticeViewInput } from '../../platform/vpc-lattice/settings';
import { latticeView as clusterOneView } from './lattice';

/** cluster1's view (./lattice.ts) with only the given callers: no route, export or import of its own. */
export function latticeView(callers: LatticeViewInput['callers'], extra: Partial<LatticeViewInput> = {}): LatticeViewInput {
  return clusterOneView({ exports: [], imports: [], routes: [], callers, ...extra });
}

/** Callers `apps/app1` (two routes) and `billing/payer` (one); `apps/bystander` calls nothing. */
export const TWO_CALLERS: LatticeViewInput['callers'] = [
  { namespace: 'billing', app: 'payer', serviceAccount: 'payer', hostnames: ['ledger.lattice.zt.internal'] },
  { namespace: 'apps', app: 'app1', serviceAccount: 'app1', hostnames: ['app2.lattice.zt.internal', 'ledger.lattice.zt.internal'] },
];

const app = (namespace: string) => ({ namespace, image: 'traefik/whoami:v1.10.3', ports: { http: { containerPort: 8080, servicePort: 80 } } });

/** An ordinary single-cluster environment (`lattice-cluster1`) with a `vpcLattice` block. */
export function latticeInput(view: LatticeViewInput, overrides: Partial<EnvironmentInput> = {}): EnvironmentInput {
  return {
    name: 'lattice-cluster1',
    aws: { region: 'eu-west-1' },
    cluster: { name: 'eks-cluster1', kubernetesVersion: '1.31' },
    network: { vpcCidr: '10.0.0.0/16', podCidr: '10.0.0.0/16', serviceCidr: '172.20.0.0/16' },
    namespaces: ['apps', 'billing'],
    apps: { app1: app('apps'), bystander: app('apps'), payer: app('billing') },
    components: ['network-policy', 'cert-manager'],
    vpcLattice: view,
    ...overrides,
  };
}
