/**
 * Pieces every environment repeats: the whoami test app and the network intent around it.
 * Files starting with `_` are not environments.
 */
import type { EnvironmentInput } from '../lib/environment';

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

/**
 * Twingate's connector dials out to the Twingate controller and relays: TCP 443 and the
 * 30000-31000 relay range, to the internet only (never to private ranges).
 */
export const connectorEgress: NonNullable<EnvironmentInput['flows']> = [
  {
    from: 'twingate/connector',
    to: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'] },
    port: 443,
    description: 'connector to the Twingate controller and relays (TLS)',
  },
  {
    from: 'twingate/connector',
    to: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'] },
    port: 30000,
    endPort: 31000,
    description: 'connector to Twingate relays',
  },
];

/** Paths seed 004's "Blocked Traffic" table would check by hand. */
export const standardBlocked: NonNullable<EnvironmentInput['blocked']> = [
  { from: 'whoami/whoami', to: 'kube-system/*', reason: 'apps never talk to the control plane add-ons (DNS aside)' },
  { from: 'whoami/whoami', to: 'twingate/connector', reason: 'apps never call back into the access path' },
  { from: 'whoami/whoami', to: { cidr: '0.0.0.0/0', except: [] }, reason: 'whoami has no egress beyond DNS' },
];
