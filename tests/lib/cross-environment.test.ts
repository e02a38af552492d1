/** Checks across environments (lib/load.ts): unique cluster names, disjoint VPC CIDRs; one line naming both. */
import { describe, expect, it } from 'vitest';
import { crossEnvironmentProblems } from '../../lib/load';

const env = (name: string, cluster: string, vpcCidr: string) =>
  ({ name, cluster: { name: cluster }, network: { vpcCidr } }) as unknown as Parameters<typeof crossEnvironmentProblems>[0][number];

describe('cross-environment checks', () => {
  it('accepts distinct cluster names and disjoint VPCs (the shipped environments)', () => {
    expect(
      crossEnvironmentProblems([env('dev', 'dev-eu', '10.10.0.0/16'), env('staging', 'staging-eu', '10.15.0.0/16'), env('prod', 'prod-eu', '10.20.0.0/16')]),
    ).toEqual([]);
  });

  it('rejects two environments on one cluster name, naming both', () => {
    expect(crossEnvironmentProblems([env('prod', 'eu', '10.20.0.0/16'), env('dev', 'eu', '10.10.0.0/16')])).toEqual([
      'environments dev and prod share the cluster name "eu" (cluster.name must be unique)',
    ]);
  });

  it('rejects overlapping VPC CIDRs (one containing the other too), naming both', () => {
    expect(crossEnvironmentProblems([env('dev', 'dev-eu', '10.10.0.0/16'), env('staging', 'staging-eu', '10.10.128.0/20')])).toEqual([
      'environments dev and staging have overlapping VPC CIDRs 10.10.0.0/16 and 10.10.128.0/20 (network.vpcCidr ranges must be disjoint)',
    ]);
    expect(crossEnvironmentProblems([env('a', 'a', '10.0.0.0/24'), env('b', 'b', '10.0.1.0/24')])).toEqual([]);
  });
});
