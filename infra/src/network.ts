/**
 * The VPC: private subnets for nodes, pods and connector hosts in every zone, public subnets
 * holding only NAT gateways, flow logs, the endpoints a private cluster needs, and the
 * security groups between connector hosts, the API endpoint and the endpoints.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { planSubnets } from '../../lib/subnets';
import { CONNECTOR_EGRESS, CONNECTOR_P2P_EGRESS, resolveTwingate } from '../../platform/twingate/settings';
import type { Context } from './context';
import { role } from './iam';

/**
 * Interface endpoints: image pulls (ECR), credentials (STS, EKS Pod Identity), logs, SSM
 * session access to connector hosts, and Secrets Manager (connector hosts and External Secrets).
 */
export const INTERFACE_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'sts', 'eks-auth', 'logs', 'ssm', 'ssmmessages', 'ec2messages', 'secretsmanager'] as const;

export interface Network {
  readonly vpc: aws.ec2.Vpc;
  readonly zones: pulumi.Output<string>[];
  readonly privateSubnets: aws.ec2.Subnet[];
  /** The EKS control plane's subnets (its network interfaces only). */
  readonly controlPlaneSubnets: aws.ec2.Subnet[];
  readonly publicSubnets: aws.ec2.Subnet[];
  /** Connector hosts: no inbound rule; outbound only what a connector needs. */
  readonly connectorSecurityGroup: aws.ec2.SecurityGroup;
  /** Extra group on the EKS API endpoint: HTTPS from connector hosts only. */
  readonly apiSecurityGroup: aws.ec2.SecurityGroup;
}

export function buildNetwork(ctx: Context): Network {
  const { env, infra, opts } = ctx;
  const plan = planSubnets(env, infra.availabilityZones);
  const available = aws.getAvailabilityZonesOutput({ state: 'available' }, ctx.invokeOpts).names.apply((names) => {
    if (names.length < plan.length) {
      throw new Error(`environment ${env.name}: infra.availabilityZones: ${env.aws.region} has only ${names.length} zones, ${plan.length} asked`);
    }
    return [...names].sort().slice(0, plan.length);
  });
  const zones = plan.map((_, i) => available.apply((names) => names[i]!));

  const vpc = new aws.ec2.Vpc('vpc', { cidrBlock: env.network.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: ctx.tags('vpc') }, opts);
  // The default security group allows everything between its members; strip its rules so
  // nothing can fall back on it.
  new aws.ec2.DefaultSecurityGroup('default-sg', { vpcId: vpc.id, ingress: [], egress: [], tags: ctx.tags('default-deny') }, opts);

  const igw = new aws.ec2.InternetGateway('igw', { vpcId: vpc.id, tags: ctx.tags('igw') }, opts);
  const publicRoutes = new aws.ec2.RouteTable(
    'public',
    { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }], tags: ctx.tags('public') },
    opts,
  );
  // Only private subnets carry a load-balancer role tag (internal): no internet-facing load
  // balancer has anywhere to go, the public subnets exist for NAT alone.
  const subnets = (kind: 'public' | 'private' | 'controlPlane', routes: (i: number) => aws.ec2.RouteTable) =>
    plan.map((p, i) => {
      const lbRole: Record<string, string> = kind === 'private' ? { 'kubernetes.io/role/internal-elb': '1' } : {};
      const name = `${kind === 'controlPlane' ? 'control-plane' : kind}-${i}`;
      const subnet = new aws.ec2.Subnet(
        name,
        { vpcId: vpc.id, cidrBlock: p[kind], availabilityZone: zones[i], mapPublicIpOnLaunch: false, tags: ctx.tags(name, lbRole) },
        opts,
      );
      new aws.ec2.RouteTableAssociation(name, { subnetId: subnet.id, routeTableId: routes(i).id }, opts);
      return subnet;
    });
  const publicSubnets = subnets('public', () => publicRoutes);

  const natCount = infra.natPerZone ? plan.length : 1;
  const nats = publicSubnets.slice(0, natCount).map((s, i) => {
    const eip = new aws.ec2.Eip(`nat-${i}`, { domain: 'vpc', tags: ctx.tags(`nat-${i}`) }, opts);
    return new aws.ec2.NatGateway(`nat-${i}`, { allocationId: eip.id, subnetId: s.id, tags: ctx.tags(`nat-${i}`) }, { ...opts, dependsOn: [igw] });
  });

  const privateRoutes = plan.map(
    (_, i) =>
      new aws.ec2.RouteTable(
        `private-${i}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nats[i % natCount]!.id }], tags: ctx.tags(`private-${i}`) },
        opts,
      ),
  );
  const privateSubnets = subnets('private', (i) => privateRoutes[i]!);
  // Only the EKS control plane's network interfaces live here (the cluster's vpcConfig), so the
  // NetworkPolicies allow the API server without allowing every pod of the VPC.
  const controlPlaneSubnets = subnets('controlPlane', (i) => privateRoutes[i]!);

  buildFlowLogs(ctx, vpc);

  const endpointSecurityGroup = securityGroup(ctx, vpc, 'endpoints', 'HTTPS from inside the VPC to the interface endpoints');
  ingress(ctx, 'endpoints-https', endpointSecurityGroup, { cidrIpv4: env.network.vpcCidr, fromPort: 443, toPort: 443 });
  for (const service of INTERFACE_ENDPOINTS) {
    new aws.ec2.VpcEndpoint(
      `endpoint-${service}`,
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${env.aws.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: privateSubnets.map((s) => s.id),
        securityGroupIds: [endpointSecurityGroup.id],
        tags: ctx.tags(`endpoint-${service}`),
      },
      opts,
    );
  }
  new aws.ec2.VpcEndpoint(
    'endpoint-s3',
    {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${env.aws.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRoutes.map((r) => r.id),
      tags: ctx.tags('endpoint-s3'),
    },
    opts,
  );

  const connectorSecurityGroup = securityGroup(ctx, vpc, 'connectors', 'Twingate connector hosts: outbound only');
  const apiSecurityGroup = securityGroup(ctx, vpc, 'api', 'EKS API endpoint: HTTPS from the Twingate connector hosts');
  ingress(ctx, 'api-from-connectors', apiSecurityGroup, { referencedSecurityGroupId: connectorSecurityGroup.id, fromPort: 443, toPort: 443 });
  // A connector dials the Twingate controller and relays (CONNECTOR_EGRESS, the ports the
  // in-cluster connectors' NetworkPolicies allow too), and forwards users to the API endpoint
  // (443) and its DNS queries to the VPC resolver.
  for (const e of CONNECTOR_EGRESS) {
    egress(ctx, connectorEgressRuleName(e), connectorSecurityGroup, { cidrIpv4: '0.0.0.0/0', fromPort: e.port, toPort: e.endPort ?? e.port });
  }
  // Peer-to-peer is one choice for every connector of the environment, in the cluster and here.
  if (resolveTwingate(env).connectors.peerToPeer) {
    const p2p = CONNECTOR_P2P_EGRESS;
    egress(ctx, 'connectors-peer-to-peer', connectorSecurityGroup, { cidrIpv4: '0.0.0.0/0', fromPort: p2p.port, toPort: p2p.endPort, ipProtocol: 'udp' });
  }
  egress(ctx, 'connectors-dns-udp', connectorSecurityGroup, { cidrIpv4: env.network.vpcCidr, fromPort: 53, toPort: 53, ipProtocol: 'udp' });
  egress(ctx, 'connectors-dns-tcp', connectorSecurityGroup, { cidrIpv4: env.network.vpcCidr, fromPort: 53, toPort: 53 });

  return { vpc, zones, privateSubnets, publicSubnets, controlPlaneSubnets, connectorSecurityGroup, apiSecurityGroup };
}

/** Logical names of the connector egress rules that existed before CONNECTOR_EGRESS; renaming would replace them. */
const CONNECTOR_EGRESS_RULE_NAMES: Readonly<Record<string, string>> = { '443': 'connectors-https', '30000-31000': 'connectors-relays' };

/** The logical name of the security group rule for one entry of {@link CONNECTOR_EGRESS}. */
export function connectorEgressRuleName(e: (typeof CONNECTOR_EGRESS)[number]): string {
  const range = e.endPort === undefined ? `${e.port}` : `${e.port}-${e.endPort}`;
  return CONNECTOR_EGRESS_RULE_NAMES[range] ?? `connectors-tcp-${range}`;
}

function buildFlowLogs(ctx: Context, vpc: aws.ec2.Vpc): void {
  const logGroup = new aws.cloudwatch.LogGroup(
    'flow-logs',
    { name: `/vpc/${ctx.env.name}/flow-logs`, retentionInDays: ctx.infra.logRetentionDays, tags: ctx.tags('flow-logs') },
    ctx.opts,
  );
  const delivery = role(ctx, 'flow-logs', {
    service: 'vpc-flow-logs.amazonaws.com',
    description: 'Delivers VPC flow logs to their log group',
    statements: [{ Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], Resource: pulumi.interpolate`${logGroup.arn}:*` }],
  });
  new aws.ec2.FlowLog(
    'flow-logs',
    {
      vpcId: vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: delivery.arn,
      maxAggregationInterval: 60,
      tags: ctx.tags('flow-logs'),
    },
    ctx.opts,
  );
}

function securityGroup(ctx: Context, vpc: aws.ec2.Vpc, name: string, description: string): aws.ec2.SecurityGroup {
  // No inline rules: the provider then removes AWS's default allow-all egress, and every rule
  // is a separate resource below.
  return new aws.ec2.SecurityGroup(`sg-${name}`, { vpcId: vpc.id, name: `${ctx.env.name}-${name}`, description, tags: ctx.tags(name) }, ctx.opts);
}

type Rule = { fromPort: number; toPort: number; ipProtocol?: 'tcp' | 'udp'; cidrIpv4?: string; referencedSecurityGroupId?: pulumi.Input<string> };

function ingress(ctx: Context, name: string, group: aws.ec2.SecurityGroup, rule: Rule): void {
  new aws.vpc.SecurityGroupIngressRule(name, { securityGroupId: group.id, ipProtocol: 'tcp', ...rule, tags: ctx.tags(name) }, ctx.opts);
}

function egress(ctx: Context, name: string, group: aws.ec2.SecurityGroup, rule: Rule): void {
  new aws.vpc.SecurityGroupEgressRule(name, { securityGroupId: group.id, ipProtocol: 'tcp', ...rule, tags: ctx.tags(name) }, ctx.opts);
}
