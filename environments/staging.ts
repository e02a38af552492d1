import { defineEnvironment } from '../platform/registry';
import { standardBlocked, whoami, whoamiFlows } from './_shared';

export default defineEnvironment({
  name: 'staging',
  aws: { region: 'eu-west-2' },
  cluster: { name: 'staging-eu', kubernetesVersion: '1.31' },
  network: { vpcCidr: '10.15.0.0/16', podCidr: '10.15.0.0/16', serviceCidr: '172.20.0.0/16' },
  namespaces: ['twingate', 'whoami'],
  apps: { whoami: whoami(2) },
  flows: whoamiFlows,
  blocked: standardBlocked,
  // The connector Helm chart (rendered by the twingate-connector component), tokens from Secrets
  // Manager; dev and prod let the operator run their connectors.
  twingate: { network: 'acme', connectors: { mode: 'chart' } },
  components: ['network-policy', 'cert-manager', 'external-secrets', 'twingate-operator', 'twingate-access-gateway', 'argo-cd'],
  // Live probes (docs/probes.md): after each sync, one Job per source workload tries its flows
  // and blocked paths; 1.1.1.1 (which answers on 443) stands for the internet.
  probes: { enabled: true, addresses: { '0.0.0.0/0': '1.1.1.1' } },
  groups: ['Engineering', 'Platform Admins'],
  access: [
    { group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view' },
    { group: 'Platform Admins', resources: ['whoami'], kubernetesRole: 'admin', clusterRole: 'view' },
  ],
  infra: {
    owner: 'platform-team',
    bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/zt-eks-bootstrap', twingateGroup: 'Platform Admins' },
    availabilityZones: 3,
    nodes: { instanceTypes: ['m7i.large'], min: 2, desired: 2, max: 4 },
    connectors: { ec2: 1, ec2InstanceType: 't3.micro' },
  },
});
