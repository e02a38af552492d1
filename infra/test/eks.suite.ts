import * as aws from '@pulumi/aws';
import { describe, expect, it } from 'vitest';
import { EBS_CSI_CONTROLLER_SERVICE_ACCOUNT, usesEbsVolumes } from '../../platform/shared/storage';
import { CONTROL_PLANE_LOGS } from '../src/eks';
import type { Built } from './harness';

/** Runs against every environment built once by infra.test.ts. */
export function eksSuite(built: readonly Built[]): void {
  describe('EKS cluster', () => {
    it('has a private API endpoint only', () => {
      for (const b of built) {
        const { vpcConfig } = b.one(aws.eks.Cluster, 'cluster').inputs;
        expect(vpcConfig.endpointPublicAccess, b.env.name).toBe(false);
        expect(vpcConfig.endpointPrivateAccess, b.env.name).toBe(true);
        expect(vpcConfig.publicAccessCidrs).toBeUndefined();
        // The control plane's interfaces get their own subnets, one per zone, apart from nodes and pods.
        expect(vpcConfig.subnetIds).toEqual(Array.from({ length: b.env.infra!.availabilityZones }, (_, i) => `control-plane-${i}-id`));
        expect(vpcConfig.securityGroupIds).toEqual(['sg-api-id']);
      }
    });

    it('envelope-encrypts secrets with a rotating customer KMS key', () => {
      for (const b of built) {
        const { encryptionConfig } = b.one(aws.eks.Cluster, 'cluster').inputs;
        expect(encryptionConfig.resources).toEqual(['secrets']);
        const key = b.one(aws.kms.Key, 'eks-secrets');
        expect(encryptionConfig.provider.keyArn).toMatch(/:key\/eks-secrets$/);
        expect(key.inputs.enableKeyRotation).toBe(true);
      }
    });

    it('takes name, version and service CIDR from the environment, logs every control-plane stream, and uses access entries', () => {
      for (const b of built) {
        const c = b.one(aws.eks.Cluster, 'cluster').inputs;
        expect(c.name).toBe(b.env.cluster.name);
        expect(c.version).toBe(b.env.cluster.kubernetesVersion);
        expect(c.kubernetesNetworkConfig.serviceIpv4Cidr).toBe(b.env.network.serviceCidr);
        expect([...c.enabledClusterLogTypes].sort()).toEqual([...CONTROL_PLANE_LOGS].sort());
        expect(c.accessConfig).toEqual({ authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false });
        expect(b.one(aws.cloudwatch.LogGroup, 'eks-control-plane').inputs.retentionInDays).toBe(b.env.infra!.logRetentionDays);
      }
    });

    it('grants cluster-admin through access entries to exactly the bootstrap role and the admin roles, in every environment', () => {
      for (const b of built) {
        const entries = b.of(aws.eks.AccessEntry).map((e) => [e.name, e.inputs.principalArn, e.inputs.type]);
        expect(entries, b.env.name).toEqual([
          ...b.env.infra!.adminRoleArns.map((arn, i) => [`admin-${i}`, arn, 'STANDARD']),
          ['bootstrap', b.env.infra!.bootstrap.roleArn, 'STANDARD'],
        ]);
        const associations = b.of(aws.eks.AccessPolicyAssociation);
        expect(
          associations.map((a) => [a.name, a.inputs.principalArn]),
          b.env.name,
        ).toEqual(entries.map(([name, arn]) => [name, arn]));
        for (const a of associations) {
          expect(a.inputs.clusterName).toBe(b.env.cluster.name);
          expect(a.inputs.policyArn).toBe('arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy');
          expect(a.inputs.accessScope).toEqual({ type: 'cluster' });
        }
      }
      // dev and staging have no break-glass role: the bootstrap entry is their only one.
      const count = Object.fromEntries(built.map((b) => [b.env.name, b.of(aws.eks.AccessEntry).length]));
      expect(count).toEqual({ dev: 1, prod: 2, staging: 1, urlshort: 1, 'lattice-cluster1': 1, 'lattice-cluster2': 1 });
    });

    it('turns on network policy enforcement in the VPC CNI add-on, which gets its AWS role through Pod Identity', () => {
      for (const b of built) {
        const cni = b.one(aws.eks.Addon, 'vpc-cni').inputs;
        expect(JSON.parse(cni.configurationValues)).toEqual({ enableNetworkPolicy: 'true' });
        expect(cni.podIdentityAssociations).toEqual([{ roleArn: expect.stringContaining(`role/${b.env.name}-vpc-cni`), serviceAccount: 'aws-node' }]);
        expect(
          b
            .of(aws.eks.Addon)
            .map((a) => a.inputs.addonName)
            .sort(),
        ).toEqual(['coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni', ...(usesEbsVolumes(b.env) ? ['aws-ebs-csi-driver'] : [])].sort());
      }
    });

    it('installs the EBS CSI driver exactly where a component claims volumes, its controller on a role with the EBS policy only', () => {
      const withVolumes = built.filter((b) => usesEbsVolumes(b.env)).map((b) => b.env.name);
      expect(withVolumes).toEqual(['urlshort']);
      for (const b of built) {
        const addons = b.of(aws.eks.Addon).filter((a) => a.inputs.addonName === 'aws-ebs-csi-driver');
        const policies = b.of(aws.iam.RolePolicyAttachment).filter((p) => String(p.inputs.policyArn).endsWith('/AmazonEBSCSIDriverPolicy'));
        if (!withVolumes.includes(b.env.name)) {
          expect(
            [addons, policies].map((x) => x.length),
            b.env.name,
          ).toEqual([0, 0]);
          continue;
        }
        expect(addons).toHaveLength(1);
        expect(addons[0]!.inputs.podIdentityAssociations).toEqual([
          { roleArn: expect.stringContaining(`role/${b.env.name}-ebs-csi`), serviceAccount: EBS_CSI_CONTROLLER_SERVICE_ACCOUNT.name },
        ]);
        expect(policies.map((p) => p.inputs.policyArn)).toEqual(['arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy']);
        expect(String(policies[0]!.inputs.role)).toContain(`${b.env.name}-ebs-csi`);
      }
    });
  });

  describe('managed node group', () => {
    it('runs in the private subnets with IMDSv2 required, hop limit 1, encrypted volumes', () => {
      for (const b of built) {
        const lt = b.one(aws.ec2.LaunchTemplate, 'eks-nodes').inputs;
        expect(lt.metadataOptions).toEqual({ httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 });
        expect(lt.blockDeviceMappings[0].ebs).toMatchObject({ encrypted: 'true', volumeSize: b.env.infra!.nodes.diskGiB });
        const ng = b.one(aws.eks.NodeGroup, 'nodes').inputs;
        expect(ng.launchTemplate).toEqual({ id: 'eks-nodes-id', version: '1' });
        expect(ng.subnetIds.every((id: string) => id.startsWith('private-'))).toBe(true);
        expect(ng.remoteAccess).toBeUndefined();
      }
    });

    it('sizes nodes from each environment definition (prod bigger than dev)', () => {
      const nodes = Object.fromEntries(built.map((b) => [b.env.name, b.one(aws.eks.NodeGroup, 'nodes').inputs]));
      for (const b of built) {
        expect(nodes[b.env.name].instanceTypes).toEqual(b.env.infra!.nodes.instanceTypes);
        const { min, desired, max } = b.env.infra!.nodes;
        expect(nodes[b.env.name].scalingConfig).toEqual({ minSize: min, desiredSize: desired, maxSize: max });
      }
      expect(nodes.prod.instanceTypes).toEqual(['m7i.xlarge', 'm6i.xlarge']);
      expect(nodes.dev.instanceTypes).toEqual(['t3.large']);
      expect(nodes.prod.scalingConfig.maxSize).toBeGreaterThan(nodes.dev.scalingConfig.maxSize);
    });

    it('gives the node role only the node, image-pull managed policies (no CNI, no SSM)', () => {
      for (const b of built) {
        const attached = b.of(aws.iam.RolePolicyAttachment).filter((a) => a.inputs.role === `${b.env.name}-eks-nodes`);
        expect(attached.map((a) => a.inputs.policyArn.split('/').pop()).sort()).toEqual(['AmazonEC2ContainerRegistryPullOnly', 'AmazonEKSWorkerNodePolicy']);
      }
    });
  });
}
