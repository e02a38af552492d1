import { defineEnvironment } from '../lib/environment';
import { connectorEgress, standardBlocked, twingatePlatformFlows, whoami } from './_shared';

const network = { vpcCidr: '10.15.0.0/16', podCidr: '10.15.0.0/16', serviceCidr: '172.20.0.0/16' };

export default defineEnvironment({
  name: 'staging',
  aws: { region: 'eu-west-2' },
  cluster: { name: 'staging-eu', kubernetesVersion: '1.31' },
  network,
  namespaces: ['twingate', 'whoami'],
  apps: { whoami: whoami(2) },
  flows: [
    { from: 'twingate/connector', to: 'whoami/whoami', port: 'http', description: 'people reach whoami through Twingate' },
    ...connectorEgress,
    ...twingatePlatformFlows(network),
  ],
  blocked: standardBlocked,
  // Option B: the connector Helm chart, tokens from Secrets Manager (dev and prod use the operator).
  twingate: { network: 'acme', connectors: [{ mode: 'chart' }] },
  components: ['network-policy', 'twingate-operator', 'twingate-access-gateway', 'twingate-connector'],
  groups: ['Engineering', 'Platform Admins'],
  access: [
    { group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view' },
    { group: 'Platform Admins', resources: ['whoami'], kubernetesRole: 'admin' },
  ],
  infra: {
    owner: 'platform-team',
    availabilityZones: 3,
    nodes: { instanceTypes: ['m7i.large'], min: 2, desired: 2, max: 4 },
    connectors: { ec2: 1, ec2InstanceType: 't3.micro', cluster: 1 },
  },
});
