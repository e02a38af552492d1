/**
 * Two clusters whose VPCs overlap (both 10.0.0.0/16), one app each, calling each other through
 * Amazon VPC Lattice with IAM auth on the caller's workload identity, no VPC peering (seed 003).
 * One file, two deployment units: `lattice-cluster1` and `lattice-cluster2` (dist/, Argo CD, Pulumi
 * stacks), checked as a whole. Each route's IAM auth policy allows exactly the cross-cluster flows
 * to its app; the network policies let each app out to the Lattice data plane and in from it,
 * nothing more (docs/multi-cluster.md).
 */
import { defineEnvironment } from '../platform/registry';

/** The demo app: answers HTTP with its pod's name (the seed's "Hello from demo-cluster1-v1"). */
const app = (namespace: string) => ({
  namespace,
  image: 'traefik/whoami:v1.10.3',
  // whoami listens on 80 by default; an unprivileged port lets it run as non-root.
  args: ['--port', '8080'],
  ports: { http: { containerPort: 8080, servicePort: 80 } },
});

/** The same VPC in both clusters: Lattice needs no distinct ranges. */
const network = { vpcCidr: '10.0.0.0/16', podCidr: '10.0.0.0/16', serviceCidr: '172.20.0.0/16' };

export default defineEnvironment({
  name: 'lattice',
  aws: { region: 'eu-west-1' },
  // Obvious fakes (AWS documentation account): replace before a release.
  lattice: {
    accountId: '111122223333',
    serviceNetwork: 'zt-lattice',
    domain: 'lattice.zt.internal',
    certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000',
    exports: [
      { service: 'cluster1:apps/app1', port: 'http' },
      { service: 'cluster2:apps/app2', port: 'http' },
    ],
    // As in the seed, each app's route lives in its own cluster: app1.lattice.zt.internal, app2.lattice.zt.internal.
    routes: [
      { name: 'app1', backend: 'cluster1:apps/app1' },
      { name: 'app2', backend: 'cluster2:apps/app2' },
    ],
  },
  clusters: [
    {
      name: 'cluster1',
      cluster: { name: 'lattice-eks-1', kubernetesVersion: '1.31' },
      network,
      apps: { app1: app('apps') },
      access: [
        { group: 'Engineering', resources: ['app1'], kubernetesRole: 'view' },
        { group: 'Platform Admins', resources: ['app1'], kubernetesRole: 'admin', clusterRole: 'cluster-admin' },
      ],
    },
    {
      name: 'cluster2',
      cluster: { name: 'lattice-eks-2', kubernetesVersion: '1.31' },
      network,
      apps: { app2: app('apps') },
      access: [
        { group: 'Engineering', resources: ['app2'], kubernetesRole: 'view' },
        { group: 'Platform Admins', resources: ['app2'], kubernetesRole: 'admin', clusterRole: 'cluster-admin' },
      ],
    },
  ],
  crossClusterFlows: [
    { from: 'cluster1:apps/app1', to: 'cluster2:apps/app2', port: 'http', description: 'app1 calls app2 in the other cluster (seed: curl app2 from app1)' },
    { from: 'cluster2:apps/app2', to: 'cluster1:apps/app1', port: 'http', description: 'app2 calls app1 back (the reverse flow of the seed)' },
  ],
  blocked: [
    { from: 'apps/*', to: 'kube-system/*', reason: 'apps never talk to the control plane add-ons (DNS aside)' },
    { from: 'apps/*', to: 'twingate/connector', reason: 'apps never call back into the access path' },
    {
      from: 'apps/*',
      to: { cidr: '0.0.0.0/0', except: ['169.254.170.23/32', '169.254.171.0/24'] },
      reason: 'no egress beyond DNS, the Lattice data plane and the Pod Identity agent',
    },
  ],
  namespaces: ['twingate', 'apps'],
  twingate: { network: 'acme' },
  components: ['network-policy', 'cert-manager', 'external-secrets', 'twingate-operator', 'twingate-access-gateway', 'argo-cd'],
  groups: ['Engineering', 'Platform Admins'],
  breakGlassGroup: 'Platform Admins',
  infra: {
    owner: 'platform-team',
    bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/zt-eks-bootstrap', twingateGroup: 'Platform Admins' },
    availabilityZones: 2,
    nodes: { instanceTypes: ['t3.large'], min: 1, desired: 2, max: 3 },
  },
});
