/**
 * Pieces every environment repeats: the whoami test app and the network intent around it.
 * Files starting with `_` are not environments.
 */
import { formatIpv4, parseCidr } from '../lib/cidr';
import type { EnvironmentInput } from '../lib/environment';

type Flows = NonNullable<EnvironmentInput['flows']>;

/** The whoami test app (seed 000): answers HTTP with what it sees of the request. */
export function whoami(replicas: number): NonNullable<EnvironmentInput['apps']>[string] {
  return {
    namespace: 'whoami',
    image: 'traefik/whoami:v1.10.3',
    replicas,
    // whoami listens on 80 by default; an unprivileged port lets it run as non-root.
    args: ['--port', '8080'],
    ports: { http: { containerPort: 8080, servicePort: 80 } },
  };
}

/** The public internet: everything but private, link-local (instance metadata) ranges. */
const INTERNET = { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'] };

/**
 * Twingate's connector dials out to the Twingate controller and relays: TCP 443 and the
 * 30000-31000 relay range, to the internet only (never to private ranges).
 */
export const connectorEgress: Flows = [
  { from: 'twingate/connector', to: INTERNET, port: 443, description: 'connector to the Twingate controller and relays (TLS)' },
  { from: 'twingate/connector', to: INTERNET, port: 30000, endPort: 31000, description: 'connector to Twingate relays' },
];

/** `kubernetes.default`'s ClusterIP: the first address of the service CIDR. */
export function kubernetesServiceIp(serviceCidr: string): string {
  return formatIpv4(parseCidr(serviceCidr)!.start + 1);
}

/**
 * What the operator and the access gateway need besides DNS. The API server is reached through
 * the `kubernetes` Service IP, which lands on the EKS control-plane ENIs in the VPC; policies
 * may be enforced before or after that translation, so both are allowed, on 443 only.
 */
export function twingatePlatformFlows(network: { vpcCidr: string; serviceCidr: string }): Flows {
  const apiServer = [
    { cidr: `${kubernetesServiceIp(network.serviceCidr)}/32`, except: [] },
    { cidr: network.vpcCidr, except: [] },
  ];
  return [
    { from: 'twingate/connector', to: 'twingate/gateway', port: 'https', description: 'kubectl sessions: connector to the access gateway' },
    ...apiServer.map((to) => ({ from: 'twingate/gateway', to, port: 443, description: 'access gateway to the Kubernetes API server' })),
    { from: 'twingate/gateway', to: INTERNET, port: 443, description: 'access gateway to the Twingate controller (token keys)' },
    ...apiServer.map((to) => ({ from: 'twingate/operator', to, port: 443, description: 'operator to the Kubernetes API server' })),
    { from: 'twingate/operator', to: INTERNET, port: 443, description: 'operator to the Twingate API' },
  ];
}

/** Paths seed 004's "Blocked Traffic" table would check by hand. */
export const standardBlocked: NonNullable<EnvironmentInput['blocked']> = [
  { from: 'whoami/whoami', to: 'kube-system/*', reason: 'apps never talk to the control plane add-ons (DNS aside)' },
  { from: 'whoami/whoami', to: 'twingate/connector', reason: 'apps never call back into the access path' },
  { from: 'whoami/whoami', to: 'twingate/gateway', reason: 'apps never reach the access gateway (kubectl comes through Twingate)' },
  { from: 'whoami/whoami', to: { cidr: '0.0.0.0/0', except: [] }, reason: 'whoami has no egress beyond DNS' },
];
