/**
 * A lab cluster reached through Tailscale only (the seed of issue 14): a subnet router that
 * advertises the cluster's pod and service CIDRs and the VPC, split DNS both ways, an egress
 * Service to a device on the tailnet, and kubectl through the API server proxy, with the same
 * access table as the Twingate environments. Direct WireGuard is on: lab traffic may leave on
 * UDP 41641 instead of waiting on DERP relays.
 */
import { defineEnvironment } from '../platform/registry';
import { whoami } from './_shared';

export default defineEnvironment({
  name: 'lab',
  aws: { region: 'eu-west-1' },
  cluster: { name: 'lab-eu', kubernetesVersion: '1.31' },
  network: { vpcCidr: '10.30.0.0/16', podCidr: '10.30.0.0/16', serviceCidr: '172.20.0.0/16' },
  namespaces: ['tailscale', 'whoami'],
  apps: { whoami: whoami(2) },
  flows: [
    { from: 'tailscale/subnet-router', to: 'whoami/whoami', port: 'http', description: 'people reach whoami through the Tailscale subnet router' },
    {
      from: 'whoami/whoami',
      to: 'tailscale/egress-lab-nginx',
      port: 'http',
      description: 'whoami calls the nginx on a tailnet device through its egress proxy',
    },
  ],
  blocked: [
    { from: 'whoami/whoami', to: 'kube-system/*', reason: 'apps never talk to the control plane add-ons (DNS aside)' },
    { from: 'whoami/whoami', to: 'tailscale/subnet-router', reason: 'apps never call back into the access path' },
    { from: 'whoami/whoami', to: 'tailscale/api-server-proxy', reason: 'apps never reach the API server proxy (kubectl comes through the tailnet)' },
    { from: 'whoami/whoami', to: { cidr: '0.0.0.0/0', except: [] }, reason: 'whoami reaches the tailnet only through its egress proxy' },
  ],
  tailscale: {
    subnetRouter: { replicas: 2, advertiseVpc: true },
    apiServer: { replicas: 2 },
    directConnections: true,
    egress: {
      'lab-nginx': {
        namespace: 'whoami',
        tailnetIp: '100.64.0.10',
        ports: { http: { port: 80 } },
        description: 'nginx on an EC2 instance in the tailnet (the seed egress scenario)',
      },
    },
  },
  components: ['network-policy', 'external-secrets', 'tailscale-operator', 'argo-cd'],
  groups: ['Engineering', 'Platform Admins'],
  access: [
    { group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view' },
    { group: 'Platform Admins', resources: ['whoami'], kubernetesRole: 'admin', clusterRole: 'cluster-admin' },
  ],
  breakGlassGroup: 'Platform Admins',
});
