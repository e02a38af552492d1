/**
 * How an environment's VPC CIDR is cut into subnets: pure arithmetic, tested without Pulumi.
 *
 * With the VPC CNI pods take VPC addresses, so almost all of the VPC goes to the private
 * subnets (nodes, pods, connectors). The VPC is split into 2^k equal blocks (the smallest k
 * that leaves one block spare); block i is the private subnet of zone i and the last block
 * is cut into sixteenths: the first ones for the public subnets, which only hold NAT gateways,
 * the ninth onwards for the control-plane subnets, which only hold the EKS control plane's
 * network interfaces.
 */
import { formatIpv4, type Ipv4Range, parseCidr } from './cidr';
import type { Environment } from './environment';
import { environmentError } from './errors';

export interface ZoneSubnets {
  readonly private: string;
  readonly public: string;
  /**
   * Where EKS places the control plane's network interfaces (the cluster's `vpcConfig` subnets),
   * apart from nodes and pods: NetworkPolicies can then allow the API server without allowing
   * the whole VPC, which with the VPC CNI is every pod.
   */
  readonly controlPlane: string;
}

/** The smallest public subnet AWS allows is a /28. */
const SMALLEST_SUBNET = 28;
const PUBLIC_SPLIT_BITS = 4;
/** The first sixteenth of the spare block given to control-plane subnets (zones are at most 6). */
const CONTROL_PLANE_FIRST = 8;

function split(range: Ipv4Range, prefix: number, newBits: number, index: number): string {
  const size = 2 ** (32 - prefix - newBits);
  return `${formatIpv4(range.start + index * size)}/${prefix + newBits}`;
}

/** Subnets for `zones` availability zones of `vpcCidr`; a user error when the VPC is too small. */
export function planSubnets(env: Pick<Environment, 'name' | 'network'>, zones: number): ZoneSubnets[] {
  const vpc = parseCidr(env.network.vpcCidr)!;
  const prefix = Number(env.network.vpcCidr.split('/')[1]);
  const bits = Math.ceil(Math.log2(zones + 1));
  if (prefix + bits + PUBLIC_SPLIT_BITS > SMALLEST_SUBNET) {
    throw environmentError(
      env.name,
      'network.vpcCidr',
      `${JSON.stringify(env.network.vpcCidr)} is too small for ${zones} availability zones (use a /${SMALLEST_SUBNET - bits - PUBLIC_SPLIT_BITS} or larger)`,
    );
  }
  const spare = parseCidr(split(vpc, prefix, bits, 2 ** bits - 1))!;
  return Array.from({ length: zones }, (_, i) => ({
    private: split(vpc, prefix, bits, i),
    public: split(spare, prefix + bits, PUBLIC_SPLIT_BITS, i),
    controlPlane: split(spare, prefix + bits, PUBLIC_SPLIT_BITS, CONTROL_PLANE_FIRST + i),
  }));
}
