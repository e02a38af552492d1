/**
 * Namespaces the platform owns whose pods need more than Pod Security "restricted", each with
 * why. The default stays `restricted` everywhere else; an exception keeps default deny, the
 * pinned-image and no-external-Service admission policies, and changes only the Pod Security
 * level and the restricted-workloads admission policy of that namespace.
 */
import type { Environment } from '../../lib/environment';
import { maybeTailscale } from '../tailscale/settings';

/** Namespace -> why its pods need the `privileged` level. */
export function privilegedNamespaces(env: Environment): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const ts = env.components.includes('tailscale-operator') ? maybeTailscale(env) : undefined;
  if (ts) {
    // Connector and egress proxies run tailscaled in kernel mode: a privileged init container
    // enables IP forwarding and the proxy container needs NET_ADMIN (tailscale/tailscale#7359).
    out.set(ts.namespace, 'Tailscale subnet router and egress proxies: a privileged init container sets IP forwarding, tailscaled needs NET_ADMIN');
  }
  return out;
}
