/**
 * Pieces every environment repeats: the whoami test app and the paths around it that must stay
 * closed. Files starting with `_` are not environments. The platform's own flows (connectors,
 * operator, gateway) come from the components that need them.
 */
import type { EnvironmentInput } from '../platform/registry';

/** The whoami test app: answers HTTP with what it sees of the request. */
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

/** People reach whoami through the Twingate connector. */
export const whoamiFlows: NonNullable<EnvironmentInput['flows']> = [
  { from: 'twingate/connector', to: 'whoami/whoami', port: 'http', description: 'people reach whoami through Twingate' },
];

/** Paths that must stay blocked, proven at every synth. */
export const standardBlocked: NonNullable<EnvironmentInput['blocked']> = [
  { from: 'whoami/whoami', to: 'kube-system/*', reason: 'apps never talk to the control plane add-ons (DNS aside)' },
  { from: 'whoami/whoami', to: 'twingate/connector', reason: 'apps never call back into the access path' },
  { from: 'whoami/whoami', to: 'twingate/gateway', reason: 'apps never reach the access gateway (kubectl comes through Twingate)' },
  { from: 'whoami/whoami', to: { cidr: '0.0.0.0/0', except: [] }, reason: 'whoami has no egress beyond DNS' },
];
