/**
 * What every EKS cluster provides by itself, which the platform references but never renders:
 * cluster DNS and the API server behind the `kubernetes` Service.
 */
import { formatIpv4, parseCidr } from './cidr';
import type { Environment, FlowInput } from './environment';
import { planSubnets } from './subnets';

/** Where cluster DNS runs on EKS (CoreDNS keeps the historical kube-dns label). */
export const KUBE_DNS = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } } as const;

/** `kubernetes.default`'s ClusterIP: the first address of the service CIDR. */
export function kubernetesServiceIp(serviceCidr: string): string {
  return formatIpv4(parseCidr(serviceCidr)!.start + 1);
}

/**
 * Where pods reach the API server: the `kubernetes` Service IP, which lands on the EKS
 * control-plane network interfaces. Policies may be enforced before or after that translation,
 * so a flow to the API server allows both, on 443 only. The interfaces sit in the cluster's
 * control-plane subnets (infra gives EKS nothing else), never in the node and pod subnets, so
 * the second peer is those subnets, not the VPC (with the VPC CNI, the VPC is every pod). An
 * environment without an `infra` block has no known subnet layout: the VPC then.
 */
export function apiServerPeers(env: Pick<Environment, 'name' | 'network' | 'infra'>): { cidr: string; except: string[] }[] {
  const service = { cidr: `${kubernetesServiceIp(env.network.serviceCidr)}/32`, except: [] };
  if (!env.infra) return [service, { cidr: env.network.vpcCidr, except: [] }];
  return [service, ...planSubnets(env, env.infra.availabilityZones).map((z) => ({ cidr: z.controlPlane, except: [] }))];
}

/** The control-plane subnets of an environment, when its layout is known (see {@link apiServerPeers}). */
export function controlPlaneCidrs(env: Pick<Environment, 'name' | 'network' | 'infra'>): string[] {
  return env.infra ? planSubnets(env, env.infra.availabilityZones).map((z) => z.controlPlane) : [];
}

/**
 * Where the API server's own requests come from (admission webhooks, aggregated APIs): the
 * control plane's network interfaces, so the control-plane subnets; the VPC without an `infra`
 * block. The `kubernetes` Service IP is a destination only, never a source.
 */
export function apiServerSources(env: Pick<Environment, 'name' | 'network' | 'infra'>): { cidr: string; except: string[] }[] {
  const cidrs = controlPlaneCidrs(env);
  return (cidrs.length ? cidrs : [env.network.vpcCidr]).map((cidr) => ({ cidr, except: [] }));
}

/**
 * The EKS Pod Identity agent: a host-network DaemonSet on every node that serves pods their
 * AWS credentials at this link-local address, over HTTP on port 80 (the SDKs read
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials`).
 */
export const POD_IDENTITY_AGENT = { cidr: '169.254.170.23/32', port: 80 } as const;

/**
 * Where pods reach AWS APIs (Secrets Manager, STS): the VPC's interface endpoints, which infra
 * places in the private subnets with private DNS; without an `infra` block, the VPC.
 */
export function awsEndpointPeers(env: Pick<Environment, 'name' | 'network' | 'infra'>): { cidr: string; except: string[] }[] {
  if (!env.infra) return [{ cidr: env.network.vpcCidr, except: [] }];
  return planSubnets(env, env.infra.availabilityZones).map((z) => ({ cidr: z.private, except: [] }));
}

type Layout = Pick<Environment, 'name' | 'network' | 'infra'>;

/** Flows from `from` (a `<namespace>/<workload>` reference) to the API server on 443, one per peer. */
export function toApiServer(env: Layout, from: string, description: string): FlowInput[] {
  return apiServerPeers(env).map((to) => ({ from, to, port: 443, description }));
}

/** Flows from wherever the API server calls from to a webhook (`to`, on its named or numbered port). */
export function fromApiServer(env: Layout, to: string, port: string | number, description: string): FlowInput[] {
  return apiServerSources(env).map((from) => ({ from, to, port, description }));
}

/**
 * Flows from `from` to the VPC's AWS interface endpoints on 443, leaving out a peer the API
 * server flow of the same workload already allows: without an `infra` block both are the VPC.
 */
export function toAwsEndpoints(env: Layout, from: string, description: string): FlowInput[] {
  const apiServer = new Set(apiServerPeers(env).map((a) => a.cidr));
  return awsEndpointPeers(env)
    .filter((p) => !apiServer.has(p.cidr))
    .map((to) => ({ from, to, port: 443, description }));
}

/**
 * VPC Lattice's data plane as seen from a VPC: the link-local range every Lattice service answers
 * on (the `com.amazonaws.<region>.vpc-lattice` managed prefix list) and the source of the requests
 * and health checks it forwards to targets. Cross-cluster callers leave through it on 443 (HTTPS to
 * the service network) and backends accept it on their container port; it never overlaps a VPC,
 * which is why clusters with overlapping CIDRs can talk through it.
 */
export const LATTICE_DATA_PLANE_CIDR = '169.254.171.0/24';
