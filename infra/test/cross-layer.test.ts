/**
 * One environment definition drives both layers: a network change made in one place reaches
 * the VPC and the EKS cluster (infra) and the rendered NetworkPolicies (charts).
 */
// First: installs the Pulumi mocks before the program's modules load.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as aws from '@pulumi/aws';
import * as twingate from '@twingate/pulumi-twingate';
import { describe, expect, it } from 'vitest';
import devInput from '../../environments/dev';
import { contains, parseCidr } from '../../lib/cidr';
import type { Environment } from '../../lib/environment';
import { DEFAULT_ENVIRONMENTS_DIR, loadEnvironment, REPO_ROOT } from '../../lib/load';
import { renderEnvironment } from '../../lib/synth';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { secretNames } from '../../platform/twingate/cloud-names';
import { chartConnectorCount } from '../../platform/twingate/settings';
import { build } from './harness';

/**
 * The dev environment with its network changed in the one place it is written: the
 * `network` line of environments/dev.ts, edited as text in a copy of environments/ (the
 * copy sits in the repository so that its relative imports still resolve).
 */
async function withNetwork(network: { vpcCidr: string; podCidr: string; serviceCidr: string }) {
  const dir = mkdtempSync(join(REPO_ROOT, '.envs-'));
  try {
    cpSync(DEFAULT_ENVIRONMENTS_DIR, dir, { recursive: true });
    const file = join(dir, 'dev.ts');
    const source = readFileSync(file, 'utf8');
    const line = /^ {2}network: \{[^\n]*\},$/m;
    expect(source).toMatch(line);
    writeFileSync(file, source.replace(line, `  network: ${JSON.stringify(network)},`));
    return await loadEnvironment('dev', dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An environment built from an input the way environment files are loaded. */
function validated(input: EnvironmentInput): Environment {
  const result = validate(input);
  if ('problem' in result) throw new Error(`${result.problem.path}: ${result.problem.message}`);
  return result.env;
}

/** The Secrets Manager keys the ExternalSecrets of an environment's charts read. */
function externalSecretKeys(env: Environment): string[] {
  return renderEnvironment(env)
    .flatMap((c) => c.objects)
    .filter((o) => o.kind === 'ExternalSecret')
    .flatMap((o) => ((o.spec as { data?: { remoteRef: { key: string } }[] }).data ?? []).map((d) => d.remoteRef.key));
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
    const blocks = policies.flatMap((p) =>
      ((p.spec as { egress?: { to?: { ipBlock?: { cidr: string } }[] }[] }).egress ?? []).flatMap((e) => e.to ?? []).map((t) => t.ipBlock?.cidr),
    );
    // The API server flows name the control-plane subnets infra gives EKS, cut from the new VPC.
    const controlPlane = infra
      .of(aws.ec2.Subnet)
      .filter((s) => s.name.startsWith('control-plane-'))
      .map((s) => s.inputs.cidrBlock as string);
    expect(controlPlane.length).toBeGreaterThan(0);
    for (const cidr of controlPlane) expect(blocks).toContain(cidr);
    expect(blocks).not.toContain('10.99.0.0/16'); // never the whole VPC: with the VPC CNI that is every pod
    expect(JSON.stringify(policies)).not.toContain('10.10.'); // dev's old VPC is gone everywhere
  });
});

describe('peer-to-peer is one choice for every connector', () => {
  it('off by default: no UDP to the internet, in the cluster or on the EC2 hosts', async () => {
    const env = validated({ ...devInput, name: 'p2poff' });
    const infra = await build(env);
    expect(infra.of(aws.vpc.SecurityGroupEgressRule).map((r) => r.name)).not.toContain('connectors-peer-to-peer');
    expect(env.flows.some((f) => f.ports.protocol === 'UDP' && f.ports.port !== 53)).toBe(false);
  });

  it('on: the connectors NetworkPolicy and the EC2 security group both allow UDP 1-65535 to the internet', async () => {
    const env = validated({ ...devInput, name: 'p2p', twingate: { ...devInput.twingate!, connectors: { peerToPeer: true } } });
    const infra = await build(env);
    const rule = infra.of(aws.vpc.SecurityGroupEgressRule).find((r) => r.name === 'connectors-peer-to-peer')!;
    expect(rule.inputs).toMatchObject({ cidrIpv4: '0.0.0.0/0', fromPort: 1, toPort: 65535, ipProtocol: 'udp' });
    const policies = renderEnvironment(env)
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'twingate');
    const udp = policies.flatMap((p) =>
      ((p.spec as { egress?: { ports?: { protocol: string; port: number; endPort?: number }[] }[] }).egress ?? []).flatMap((e) => e.ports ?? []),
    );
    expect(udp).toContainEqual({ protocol: 'UDP', port: 1, endPort: 65535 });
  });
});

describe('secret names are shared, not copied', () => {
  it('a Secrets Manager path overridden in the environment moves both the secret and the ExternalSecret reading it', async () => {
    const custom = 'acme/dev/twingate-operator-key';
    // Another name than dev: the mock harness records resources per environment name.
    const env = validated({ ...devInput, name: 'qa', twingate: { ...devInput.twingate!, secrets: { ...devInput.twingate!.secrets, apiKeyPath: custom } } });

    const infra = await build(env);
    const names = infra.of(aws.secretsmanager.Secret).map((s) => s.inputs.name);
    expect(names).toContain(custom);
    expect(names).toContain('zt-eks/qa/twingate/remote-network-id');
    expect(names).not.toContain('zt-eks/qa/twingate/api-key');

    const keys = externalSecretKeys(env);
    expect(keys).toContain(custom);
    // Every key an ExternalSecret reads is a secret infra creates.
    for (const k of keys) expect(names).toContain(k);
  });
});

describe('chart connectors are one fact', () => {
  it('switching dev to chart connectors registers one eks-network connector and stores the tokens its ExternalSecret reads', async () => {
    // Another name than dev: the mock harness records resources per environment name.
    const env = validated({ ...devInput, name: 'uat', twingate: { ...devInput.twingate!, connectors: { mode: 'chart' } } });
    expect(chartConnectorCount(env)).toBe(1);
    expect(chartConnectorCount(await loadEnvironment('dev'))).toBe(0);

    const infra = await build(env);
    expect(
      infra
        .of(twingate.TwingateConnector)
        .filter((c) => c.inputs.remoteNetworkId === 'eks-network-id')
        .map((c) => c.name),
    ).toEqual(['eks-connector-1']);
    const tokens = secretNames.clusterConnectorTokens(env, 0);
    const names = infra.of(aws.secretsmanager.Secret).map((s) => s.inputs.name);
    expect(names).toContain(tokens);
    expect(infra.outputs.secrets.clusterConnectors.map((s: { name: string }) => s.name)).toEqual([tokens]);

    const keys = externalSecretKeys(env);
    expect(keys).toContain(tokens);
    for (const k of keys) expect(names).toContain(k);
  });
});
