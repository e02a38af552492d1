/**
 * One environment definition drives both layers: a network change made in one place reaches
 * the VPC and the EKS cluster (infra) and the rendered NetworkPolicies (charts).
 */
// First: installs the Pulumi mocks before the program's modules load.
import { build } from './harness';
import { describe, expect, it } from 'vitest';
import * as aws from '@pulumi/aws';
import { contains, parseCidr } from '../../lib/cidr';
import { type EnvironmentInput, validateEnvironment } from '../../lib/environment';
import { loadEnvironment } from '../../lib/load';
import { renderEnvironment } from '../../lib/synth';

/**
 * The dev environment with a new network block, written once, and a flow to a database in
 * the VPC that refers to the block instead of repeating the CIDR (how an environment file
 * would say it: `to: { cidr: network.vpcCidr }`).
 */
async function withNetwork(network: { vpcCidr: string; podCidr: string; serviceCidr: string }) {
  const dev = await loadEnvironment('dev');
  const input: EnvironmentInput = {
    ...dev,
    network,
    flows: [...dev.flows, { from: 'whoami/whoami', to: { cidr: network.vpcCidr, except: [] }, port: 5432, description: 'database in the VPC' }],
  };
  const result = validateEnvironment(input);
  if ('problem' in result) throw new Error(`${result.problem.path}: ${result.problem.message}`);
  return result.env;
}

describe('one definition, both layers', () => {
  it('a changed VPC CIDR reaches the VPC, its subnets, the outputs and the NetworkPolicies', async () => {
    const network = { vpcCidr: '10.99.0.0/16', podCidr: '10.99.0.0/16', serviceCidr: '172.31.0.0/16' };
    const env = await withNetwork(network);

    const infra = await build(env);
    expect(infra.one(aws.ec2.Vpc, 'vpc').inputs.cidrBlock).toBe('10.99.0.0/16');
    for (const s of infra.of(aws.ec2.Subnet)) expect(contains(parseCidr('10.99.0.0/16')!, parseCidr(s.inputs.cidrBlock)!)).toBe(true);
    expect(infra.one(aws.eks.Cluster, 'cluster').inputs.kubernetesNetworkConfig.serviceIpv4Cidr).toBe('172.31.0.0/16');
    expect(infra.outputs.network).toMatchObject(network);

    const policies = renderEnvironment(env)
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'NetworkPolicy');
    const blocks = policies.flatMap((p) => ((p.spec as { egress?: { to?: { ipBlock?: { cidr: string } }[] }[] }).egress ?? []).flatMap((e) => e.to ?? []).map((t) => t.ipBlock?.cidr));
    expect(blocks).toContain('10.99.0.0/16');
    expect(JSON.stringify(policies)).not.toContain('10.10.0.0/16'); // dev's old VPC is gone everywhere
  });
});
