/**
 * The EKS cluster: private API endpoint only, secrets envelope-encrypted with a customer KMS
 * key, every control-plane log type, API-mode access entries for the bootstrap role and the
 * break-glass admin roles, a managed node group in the private subnets whose nodes require
 * IMDSv2 with a hop limit of 1
 * (pods cannot reach the node's credentials; they get their own through Pod Identity), and
 * the core add-ons with VPC CNI network policy enforcement on.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { EBS_CSI_CONTROLLER_SERVICE_ACCOUNT, usesEbsVolumes } from '../../platform/shared/storage';
import { corednsAddonConfiguration } from '../../platform/tailscale/dns';
import { maybeTailscale } from '../../platform/tailscale/settings';
import type { Context } from './context';
import { role } from './iam';
import type { Network } from './network';

export const CONTROL_PLANE_LOGS = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;

/** The CNI's own settings: enforce NetworkPolicy in the node agent (what the charts render). */
const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: 'true' } as const;

/** IMDSv2 only; hop limit 1 so a packet from a pod (one more hop) never reaches the metadata service. */
export const METADATA_OPTIONS = { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 } as const;

interface Cluster {
  readonly cluster: aws.eks.Cluster;
  readonly nodeRole: aws.iam.Role;
  readonly nodeGroup: aws.eks.NodeGroup;
}

export function buildCluster(ctx: Context, net: Network): Cluster {
  const { env, infra, opts } = ctx;
  const clusterName = env.cluster.name;
  const key = new aws.kms.Key(
    'eks-secrets',
    {
      description: `${clusterName}: envelope encryption of Kubernetes secrets`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: ctx.tags('eks-secrets'),
    },
    opts,
  );
  new aws.kms.Alias('eks-secrets', { name: `alias/${env.name}-eks-secrets`, targetKeyId: key.keyId }, opts);

  const clusterRole = role(ctx, 'eks-cluster', {
    service: 'eks.amazonaws.com',
    description: `EKS control plane of ${clusterName}`,
    managed: ['AmazonEKSClusterPolicy'],
    statements: [{ Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ListGrants', 'kms:DescribeKey'], Resource: key.arn }],
  });

  // EKS creates this log group itself without retention; creating it first sets retention and tags.
  const logGroup = new aws.cloudwatch.LogGroup(
    'eks-control-plane',
    { name: `/aws/eks/${clusterName}/cluster`, retentionInDays: infra.logRetentionDays, tags: ctx.tags('eks-control-plane') },
    opts,
  );

  const cluster = new aws.eks.Cluster(
    'cluster',
    {
      name: clusterName,
      version: env.cluster.kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        // The control plane's network interfaces go to their own subnets (nodes stay in the
        // private ones): the NetworkPolicies to the API server name exactly these ranges.
        subnetIds: net.controlPlaneSubnets.map((s) => s.id),
        securityGroupIds: [net.apiSecurityGroup.id],
        endpointPrivateAccess: true,
        endpointPublicAccess: false,
      },
      kubernetesNetworkConfig: { ipFamily: 'ipv4', serviceIpv4Cidr: env.network.serviceCidr },
      encryptionConfig: { resources: ['secrets'], provider: { keyArn: key.arn } },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOGS],
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
      // Add-ons below are managed; EKS must not install unmanaged copies first.
      bootstrapSelfManagedAddons: false,
      tags: ctx.tags('cluster'),
    },
    { ...opts, dependsOn: [logGroup] },
  );

  const clusterAdmin = pulumi.interpolate`arn:${ctx.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
  const accessEntry = (name: string, principalArn: string) => {
    const entry = new aws.eks.AccessEntry(name, { clusterName: cluster.name, principalArn, type: 'STANDARD', tags: ctx.tags(name) }, opts);
    new aws.eks.AccessPolicyAssociation(
      name,
      // Cluster scope: a namespace scope cannot create the CRDs, ClusterRoles and bindings below.
      { clusterName: cluster.name, principalArn, policyArn: clusterAdmin, accessScope: { type: 'cluster' } },
      { ...opts, dependsOn: [entry] },
    );
  };
  for (const [i, principalArn] of infra.adminRoleArns.entries()) accessEntry(`admin-${i}`, principalArn);
  // The bootstrap role installs Argo CD: CRDs, and ClusterRoles granting `*` bound to Argo CD's
  // ServiceAccounts. Kubernetes lets nobody bind rights they do not hold, so nothing narrower
  // than cluster-admin works. Argo CD itself needs no entry: in-cluster it authenticates with
  // its ServiceAccount token, authorised by the RBAC it installs; entries map IAM principals only.
  accessEntry('bootstrap', infra.bootstrap.roleArn);

  const cniRole = role(ctx, 'vpc-cni', { service: 'pods', description: 'VPC CNI (aws-node) through Pod Identity', managed: ['AmazonEKS_CNI_Policy'] });
  const addon = (name: string, extra: Partial<aws.eks.AddonArgs> = {}, dependsOn: pulumi.Resource[] = []) =>
    new aws.eks.Addon(
      name,
      {
        clusterName: cluster.name,
        addonName: name,
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
        tags: ctx.tags(name),
        ...extra,
      },
      { ...opts, dependsOn },
    );
  // Networking add-ons go in before nodes join, so the first pods already get policy enforcement.
  const early = [
    addon('eks-pod-identity-agent'),
    addon('kube-proxy'),
    addon('vpc-cni', {
      configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION),
      podIdentityAssociations: [{ roleArn: cniRole.arn, serviceAccount: 'aws-node' }],
    }),
  ];

  const nodeRole = role(ctx, 'eks-nodes', {
    service: 'ec2.amazonaws.com',
    description: `Managed nodes of ${clusterName}`,
    managed: ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly'],
  });
  const launchTemplate = new aws.ec2.LaunchTemplate(
    'eks-nodes',
    {
      name: `${env.name}-eks-nodes`,
      description: `Nodes of ${clusterName}: IMDSv2 only, encrypted root volume`,
      metadataOptions: METADATA_OPTIONS,
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', ebs: { volumeSize: infra.nodes.diskGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } },
      ],
      tagSpecifications: ['instance', 'volume', 'network-interface'].map((resourceType) => ({ resourceType, tags: ctx.tags('eks-node') })),
      updateDefaultVersion: true,
      tags: ctx.tags('eks-nodes'),
    },
    opts,
  );
  const nodeGroup = new aws.eks.NodeGroup(
    'nodes',
    {
      clusterName: cluster.name,
      nodeGroupName: `${env.name}-nodes`,
      nodeRoleArn: nodeRole.arn,
      subnetIds: net.privateSubnets.map((s) => s.id),
      instanceTypes: infra.nodes.instanceTypes,
      capacityType: 'ON_DEMAND',
      scalingConfig: { minSize: infra.nodes.min, desiredSize: infra.nodes.desired, maxSize: infra.nodes.max },
      launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
      updateConfig: { maxUnavailable: 1 },
      tags: ctx.tags('nodes'),
    },
    { ...opts, dependsOn: early },
  );
  // With Tailscale split DNS, CoreDNS also forwards the tailnet zone to the operator's nameserver.
  const tsDns = ctx.env.components.includes('tailscale-operator') && maybeTailscale(ctx.env)?.dns.enabled;
  addon('coredns', tsDns ? { configurationValues: corednsAddonConfiguration(ctx.env) } : {}, [nodeGroup]);
  // Persistent volumes (platform/shared/storage.ts): a new cluster has no provisioner, so a
  // component's claim would stay Pending. The EBS CSI driver, its controller on a Pod Identity
  // role with AWS's managed policy for it (volumes, snapshots, attachments).
  if (usesEbsVolumes(ctx.env)) {
    const ebsRole = role(ctx, 'ebs-csi', {
      service: 'pods',
      description: 'EBS CSI driver controller through Pod Identity',
      managed: ['service-role/AmazonEBSCSIDriverPolicy'],
    });
    addon('aws-ebs-csi-driver', { podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: EBS_CSI_CONTROLLER_SERVICE_ACCOUNT.name }] }, [nodeGroup]);
  }
  return { cluster, nodeRole, nodeGroup };
}
