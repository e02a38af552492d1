import { defineEnvironment } from '../platform/registry';
import { standardBlocked, whoami, whoamiFlows } from './_shared';

export default defineEnvironment({
  name: 'dev',
  aws: { region: 'eu-west-2' },
  cluster: { name: 'dev-eu', kubernetesVersion: '1.31' },
  network: { vpcCidr: '10.10.0.0/16', podCidr: '10.10.0.0/16', serviceCidr: '172.20.0.0/16' },
  namespaces: ['twingate', 'whoami'],
  apps: { whoami: whoami(1) },
  flows: whoamiFlows,
  blocked: standardBlocked,
  twingate: { network: 'acme' },
  components: ['network-policy', 'cert-manager', 'external-secrets', 'twingate-operator', 'twingate-access-gateway', 'argo-cd'],
  groups: ['Engineering', 'Platform Admins'],
  access: [
    { group: 'Engineering', resources: ['whoami'], kubernetesRole: 'edit' },
    { group: 'Platform Admins', resources: ['whoami'], kubernetesRole: 'admin', clusterRole: 'cluster-admin' },
  ],
  breakGlassGroup: 'Platform Admins',
  infra: {
    owner: 'platform-team',
    bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/zt-eks-bootstrap', twingateGroup: 'Platform Admins' },
    availabilityZones: 2,
    nodes: { instanceTypes: ['t3.large'], min: 1, desired: 2, max: 3, diskGiB: 30 },
    connectors: { ec2: 1, ec2InstanceType: 't3.micro' },
    logRetentionDays: 30,
  },
});
