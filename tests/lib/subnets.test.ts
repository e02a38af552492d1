import { describe, expect, it } from 'vitest';
import { contains, formatIpv4, overlaps, parseCidr } from '../../lib/cidr';
import { planSubnets } from '../../lib/subnets';

const env = (vpcCidr: string) => ({ name: 'dev', network: { vpcCidr, podCidr: vpcCidr, serviceCidr: '172.20.0.0/16' } });

/** Deterministic pseudo-random generator (LCG) so failures reproduce. */
function* vpcs(count: number): Generator<string> {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < count; i++) {
    const prefix = 16 + (next() % 6); // /16 ... /21
    const size = 2 ** (32 - prefix);
    const base = Math.floor(((next() * 2 ** 4 + next()) % 2 ** 32) / size) * size;
    yield `${formatIpv4(base)}/${prefix}`;
  }
}

describe('planSubnets', () => {
  it('cuts a /16 over 3 zones into /18 private and /22 public subnets', () => {
    expect(planSubnets(env('10.20.0.0/16'), 3)).toEqual([
      { private: '10.20.0.0/18', public: '10.20.192.0/22', controlPlane: '10.20.224.0/22' },
      { private: '10.20.64.0/18', public: '10.20.196.0/22', controlPlane: '10.20.228.0/22' },
      { private: '10.20.128.0/18', public: '10.20.200.0/22', controlPlane: '10.20.232.0/22' },
    ]);
  });

  it('gives every zone disjoint subnets inside the VPC, for generated VPCs and zone counts', () => {
    let checked = 0;
    for (const vpcCidr of vpcs(200)) {
      for (let zones = 2; zones <= 6; zones++) {
        const vpc = parseCidr(vpcCidr)!;
        const plan = planSubnets(env(vpcCidr), zones);
        expect(plan).toHaveLength(zones);
        const all = plan.flatMap((z) => [z.private, z.public, z.controlPlane]).map((c) => parseCidr(c)!);
        for (const [i, a] of all.entries()) {
          expect(contains(vpc, a), `${vpcCidr}: subnet ${i}`).toBe(true);
          for (const b of all.slice(i + 1)) expect(overlaps(a, b), `${vpcCidr} x${zones}`).toBe(false);
        }
        // Private subnets hold nodes and pods: each gets at least an eighth of the VPC.
        for (const z of plan) expect(Number(z.private.split('/')[1])).toBeLessThanOrEqual(Number(vpcCidr.split('/')[1]) + 3);
        // Control-plane subnets: at least a /28 (EKS asks for six free addresses per subnet).
        for (const z of plan) expect(Number(z.controlPlane.split('/')[1])).toBeLessThanOrEqual(28);
        checked++;
      }
    }
    expect(checked).toBe(1000);
  });

  it('rejects a VPC too small for the zones with one line naming the field', () => {
    expect(() => planSubnets(env('10.0.0.0/24'), 3)).toThrow(
      'environment dev: network.vpcCidr: "10.0.0.0/24" is too small for 3 availability zones (use a /22 or larger)',
    );
  });
});
