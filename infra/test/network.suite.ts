import * as aws from '@pulumi/aws';
import { describe, expect, it } from 'vitest';
import { contains, parseCidr } from '../../lib/cidr';
import { CONNECTOR_EGRESS } from '../../platform/twingate/settings';
import { connectorEgressRuleName, INTERFACE_ENDPOINTS } from '../src/network';
import { type Built, typeToken } from './harness';

/** Runs against every environment built once by infra.test.ts. */
export function networkSuite(built: readonly Built[]): void {
  describe('network', () => {
    it('builds the VPC from the environment CIDR, with a private and a public subnet per zone', () => {
      for (const b of built) {
        expect(b.one(aws.ec2.Vpc, 'vpc').inputs.cidrBlock).toBe(b.env.network.vpcCidr);
        const subnets = b.of(aws.ec2.Subnet);
        const zones = b.env.infra!.availabilityZones;
        expect(subnets.filter((s) => s.name.startsWith('private-'))).toHaveLength(zones);
        expect(subnets.filter((s) => s.name.startsWith('public-'))).toHaveLength(zones);
        expect(new Set(subnets.map((s) => s.inputs.availabilityZone)).size).toBe(zones);
        const vpc = parseCidr(b.env.network.vpcCidr)!;
        for (const s of subnets) {
          expect(contains(vpc, parseCidr(s.inputs.cidrBlock)!), `${b.env.name} ${s.name}`).toBe(true);
          // No subnet hands out public addresses: NAT gateways get Elastic IPs explicitly.
          expect(s.inputs.mapPublicIpOnLaunch, `${b.env.name} ${s.name}`).toBe(false);
          // No internet-facing load balancer can be placed: only internal ones, in private subnets.
          expect(s.inputs.tags['kubernetes.io/role/elb'], s.name).toBeUndefined();
          expect(s.inputs.tags['kubernetes.io/role/internal-elb']).toBe(s.name.startsWith('private-') ? '1' : undefined);
        }
      }
    });

    it('routes private subnets through NAT only, one NAT per zone where the environment asks', () => {
      for (const b of built) {
        const nats = b.of(aws.ec2.NatGateway);
        expect(nats).toHaveLength(b.env.infra!.natPerZone ? b.env.infra!.availabilityZones : 1);
        const privateRoutes = b.of(aws.ec2.RouteTable).filter((r) => r.name.startsWith('private-'));
        for (const r of privateRoutes) {
          expect(r.inputs.routes).toHaveLength(1);
          expect(r.inputs.routes[0].natGatewayId).toMatch(/^nat-\d-id$/);
          expect(r.inputs.routes[0].gatewayId).toBeUndefined();
        }
      }
      expect(built.find((b) => b.env.name === 'prod')!.of(aws.ec2.NatGateway)).toHaveLength(3);
    });

    it('logs all VPC traffic to a log group with the environment retention', () => {
      for (const b of built) {
        const [flow] = b.of(aws.ec2.FlowLog);
        expect(flow!.inputs).toMatchObject({ vpcId: 'vpc-id', trafficType: 'ALL', logDestinationType: 'cloud-watch-logs' });
        const group = b.one(aws.cloudwatch.LogGroup, 'flow-logs');
        expect(group.inputs.retentionInDays).toBe(b.env.infra!.logRetentionDays);
        expect(flow!.inputs.logDestination).toContain(group.inputs.name);
      }
    });

    it('has the endpoints a private cluster needs, private DNS on, in the private subnets', () => {
      for (const b of built) {
        const endpoints = b.of(aws.ec2.VpcEndpoint);
        const services = endpoints.map((e) => e.inputs.serviceName.replace(`com.amazonaws.${b.env.aws.region}.`, '')).sort();
        expect(services).toEqual([...INTERFACE_ENDPOINTS, 's3'].sort());
        for (const svc of ['ecr.api', 'ecr.dkr', 'sts', 'logs', 'ssm']) expect(services).toContain(svc);
        for (const e of endpoints.filter((x) => x.inputs.vpcEndpointType === 'Interface')) {
          expect(e.inputs.privateDnsEnabled).toBe(true);
          expect(e.inputs.subnetIds.every((id: string) => id.startsWith('private-'))).toBe(true);
        }
        expect(b.one(aws.ec2.VpcEndpoint, 'endpoint-s3').inputs.vpcEndpointType).toBe('Gateway');
      }
    });

    it('keeps security groups least-privilege: no inline rules, connector hosts accept nothing, the API only HTTPS from connectors', () => {
      for (const b of built) {
        for (const g of b.of(aws.ec2.SecurityGroup)) {
          expect(g.inputs.ingress ?? [], g.name).toEqual([]);
          expect(g.inputs.egress ?? [], g.name).toEqual([]);
        }
        const defaultSg = b.one(aws.ec2.DefaultSecurityGroup, 'default-sg');
        expect(defaultSg.inputs.ingress).toEqual([]);
        expect(defaultSg.inputs.egress).toEqual([]);

        const ingress = b.of(aws.vpc.SecurityGroupIngressRule);
        expect(ingress.filter((r) => r.inputs.securityGroupId === 'sg-connectors-id')).toEqual([]);
        const api = ingress.filter((r) => r.inputs.securityGroupId === 'sg-api-id');
        expect(api.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4])).toEqual([
          ['sg-connectors-id', 'tcp', 443, 443, undefined],
        ]);
        for (const r of [...ingress, ...b.of(aws.vpc.SecurityGroupEgressRule)]) {
          expect(r.inputs.ipProtocol, r.name).not.toBe('-1');
          // Anything open to the world is outbound only, and on the connector's documented ports.
          if (r.inputs.cidrIpv4 === '0.0.0.0/0') {
            expect(r.type, r.name).toBe(typeToken(aws.vpc.SecurityGroupEgressRule));
            expect(CONNECTOR_EGRESS.map((e) => [e.port, e.endPort ?? e.port])).toContainEqual([r.inputs.fromPort, r.inputs.toPort]);
          }
        }
      }
    });

    it('lets connector hosts out on the CONNECTOR_EGRESS ports (shared with the connector NetworkPolicies) and DNS to the VPC only', () => {
      // The rules kept their names when the ports became one fact: a rename would replace them.
      expect(connectorEgressRuleName({ port: 443, description: '' })).toBe('connectors-https');
      expect(connectorEgressRuleName({ port: 30000, endPort: 31000, description: '' })).toBe('connectors-relays');
      for (const b of built) {
        const egress = b.of(aws.vpc.SecurityGroupEgressRule).filter((r) => r.inputs.securityGroupId === 'sg-connectors-id');
        expect(egress.map((r) => [r.name, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4])).toEqual([
          ...CONNECTOR_EGRESS.map((e) => [connectorEgressRuleName(e), 'tcp', e.port, e.endPort ?? e.port, '0.0.0.0/0']),
          ['connectors-dns-udp', 'udp', 53, 53, b.env.network.vpcCidr],
          ['connectors-dns-tcp', 'tcp', 53, 53, b.env.network.vpcCidr],
        ]);
      }
      expect(
        built
          .find((b) => b.env.name === 'dev')!
          .of(aws.vpc.SecurityGroupEgressRule)
          .map((r) => r.name),
      ).toEqual(expect.arrayContaining(['connectors-https', 'connectors-relays']));
    });
  });
}
