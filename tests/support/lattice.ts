/**
 * A fixture for the vpc-lattice suites: one cluster's unit of a two-cluster environment with its
 * `vpcLattice` view written out (what lib/clusters.ts derives), so the component is tested on its
 * own. Accounts and ARNs are obvious fakes.
 */

import type { EnvironmentInput } from '../../platform/registry';
import type { LatticeViewInput } from '../../platform/vpc-lattice/settings';
import { baseInput } from './twingate';

export const FAKE_ACCOUNT = '111122223333';
export const FAKE_CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000';

/** cluster1's view: app1 exported and routed here; app2 (cluster2) routed here through a ServiceImport. */
export function latticeView(overrides: Partial<LatticeViewInput> = {}): LatticeViewInput {
  return {
    environment: 'lattice',
    cluster: 'cluster1',
    accountId: FAKE_ACCOUNT,
    serviceNetwork: 'zt-lattice',
    domain: 'lattice.zt.internal',
    certificateArn: FAKE_CERTIFICATE_ARN,
    exports: [{ namespace: 'apps', app: 'app1', portName: 'http', port: 80 }],
    imports: [{ namespace: 'apps', app: 'app2', fromCluster: 'cluster2' }],
    routes: [
      {
        name: 'app1',
        namespace: 'apps',
        hostname: 'app1.lattice.zt.internal',
        backend: { kind: 'Service', namespace: 'apps', name: 'app1', port: 80 },
        callers: [{ cluster: 'cluster2', eksClusterName: 'lattice-cluster2', namespace: 'apps', serviceAccount: 'app2', app: 'app2' }],
      },
      {
        name: 'app2',
        namespace: 'apps',
        hostname: 'app2.lattice.zt.internal',
        backend: { kind: 'ServiceImport', namespace: 'apps', name: 'app2', port: 80 },
        callers: [{ cluster: 'cluster1', eksClusterName: 'lattice-cluster1', namespace: 'apps', serviceAccount: 'app1', app: 'app1' }],
      },
    ],
    callers: [{ namespace: 'apps', app: 'app1', serviceAccount: 'app1', hostnames: ['app2.lattice.zt.internal'] }],
    ...overrides,
  };
}

/** The unit `lattice-cluster1` with the view above; tests override what they probe. */
export function latticeInput(overrides: Partial<EnvironmentInput> = {}): EnvironmentInput {
  return baseInput({
    name: 'lattice-cluster1',
    aws: { region: 'eu-west-1' },
    cluster: { name: 'lattice-cluster1', kubernetesVersion: '1.31' },
    network: { vpcCidr: '10.0.0.0/16', podCidr: '10.0.0.0/16', serviceCidr: '172.20.0.0/16' },
    namespaces: ['apps'],
    apps: { app1: { namespace: 'apps', image: 'traefik/whoami:v1.10.3', ports: { http: { containerPort: 8080, servicePort: 80 } } } },
    groups: ['Engineering'],
    access: [{ group: 'Engineering', resources: ['app1'], kubernetesRole: 'view' }],
    twingate: undefined,
    components: ['network-policy', 'cert-manager'],
    vpcLattice: latticeView(),
    ...overrides,
  });
}
