import { defineEnvironment } from '../platform/registry';
import { standardBlocked, whoami, whoamiFlows } from './_shared';

export default defineEnvironment({
  name: 'prod',
  aws: { region: 'eu-west-2' },
  cluster: { name: 'prod-eu', kubernetesVersion: '1.31' },
  network: { vpcCidr: '10.20.0.0/16', podCidr: '10.20.0.0/16', serviceCidr: '172.20.0.0/16' },
  namespaces: ['twingate', 'whoami'],
  apps: { whoami: whoami(2) },
  flows: whoamiFlows,
  blocked: standardBlocked,
  // Engineering and Platform Admins come from the identity provider (the default); the on-call
  // rotation has no IdP counterpart, so this environment creates it as "prod: SRE On-Call".
  twingate: { network: 'acme', connectors: { mode: 'operator', replicas: 2 }, gateway: { replicas: 2 }, managedGroups: ['SRE On-Call'] },
  components: ['network-policy', 'cert-manager', 'external-secrets', 'twingate-operator', 'twingate-access-gateway', 'argo-cd'],
  groups: ['Engineering', 'Platform Admins', 'SRE On-Call'],
  access: [
    { group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view' },
    { group: 'SRE On-Call', resources: ['whoami'], kubernetesRole: 'edit' },
    { group: 'Platform Admins', resources: ['whoami'], kubernetesRole: 'admin', clusterRole: 'view' },
  ],
  infra: {
    owner: 'platform-team',
    bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/zt-eks-bootstrap', twingateGroup: 'Platform Admins' },
    availabilityZones: 3,
    natPerZone: true,
    nodes: { instanceTypes: ['m7i.xlarge', 'm6i.xlarge'], min: 3, desired: 3, max: 9, diskGiB: 100 },
    adminRoleArns: ['arn:aws:iam::111122223333:role/platform-break-glass'],
    connectors: { ec2: 2, ec2InstanceType: 't3.small' },
    logRetentionDays: 365,
  },
});
