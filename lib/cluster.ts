/**
 * What every EKS cluster provides by itself, which the platform references but never renders:
 * cluster DNS and the API server behind the `kubernetes` Service.
 */
import { formatIpv4, parseCidr } from './cidr';

/** Where cluster DNS runs on EKS (CoreDNS keeps the historical kube-dns label). */
export const KUBE_DNS = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } } as const;

/** `kubernetes.default`'s ClusterIP: the first address of the service CIDR. */
export function kubernetesServiceIp(serviceCidr: string): string {
  return formatIpv4(parseCidr(serviceCidr)!.start + 1);
}

/**
 * Where pods reach the API server: the `kubernetes` Service IP, which lands on the EKS
 * control-plane ENIs in the VPC. Policies may be enforced before or after that translation, so
 * a flow to the API server allows both, on 443 only.
 */
export function apiServerPeers(network: { vpcCidr: string; serviceCidr: string }): { cidr: string; except: string[] }[] {
  return [
    { cidr: `${kubernetesServiceIp(network.serviceCidr)}/32`, except: [] },
    { cidr: network.vpcCidr, except: [] },
  ];
}
