/**
 * The tailnet policy the environment needs, as data (infra writes it; tests and docs read it):
 *
 * - `tagOwners`: the environment's `tailscale.tagOwners`, which the settings checks hold every
 *   used tag to;
 * - `autoApprovers.routes`: each advertised route approved for the subnet router's tags, so a
 *   new replica serves without a click in the admin console;
 * - `grants`, from the same access table as Twingate: a group reaches the ports of the apps its
 *   row names through the subnet router (the NetworkPolicies still decide what the router may
 *   reach), kube-dns for split DNS, and, with a role, the API server proxy with the
 *   `tailscale.com/cap/kubernetes` capability that makes the proxy impersonate the group (the
 *   RBAC subject of the bindings); egress proxies reach the tailnet IPs of the egress services.
 */
import type { Environment } from '../../lib/environment';
import { kubeDnsIp } from './dns';
import { resolveTailscale, tailnetSource } from './settings';

/** The capability the kube-apiserver proxy reads in auth mode. */
export const KUBERNETES_CAPABILITY = 'tailscale.com/cap/kubernetes';

export interface Grant {
  readonly src: readonly string[];
  readonly dst: readonly string[];
  readonly ip?: readonly string[];
  readonly app?: Readonly<Record<string, readonly unknown[]>>;
}

export interface TailnetPolicy {
  readonly tagOwners: Readonly<Record<string, readonly string[]>>;
  readonly autoApprovers: { readonly routes: Readonly<Record<string, readonly string[]>> };
  readonly grants: readonly Grant[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort(byText);

/** Ports of an app as grant `ip` entries: the Service port and the container port (clients may dial either through the router). */
function appPorts(env: Environment, app: string): string[] {
  return Object.values(env.apps[app]!.ports).flatMap((p) => [
    `${p.protocol.toLowerCase()}:${p.servicePort ?? p.containerPort}`,
    `${p.protocol.toLowerCase()}:${p.containerPort}`,
  ]);
}

export function tailnetPolicy(env: Environment): TailnetPolicy {
  const ts = resolveTailscale(env);
  const grants: Grant[] = [];
  const reaching = env.access.filter((r) => r.resources.length > 0);
  for (const row of reaching) {
    grants.push({
      src: [tailnetSource(ts, row.group)],
      dst: [env.network.podCidr, env.network.serviceCidr].filter((c, i, a) => a.indexOf(c) === i),
      ip: sorted(row.resources.flatMap((a) => appPorts(env, a))),
    });
  }
  if (reaching.length > 0)
    grants.push({ src: sorted(reaching.map((r) => tailnetSource(ts, r.group))), dst: [`${kubeDnsIp(env)}/32`], ip: ['tcp:53', 'udp:53'] });
  if (ts.apiServer.enabled) {
    for (const row of env.access.filter((r) => r.kubernetesRole || r.clusterRole)) {
      grants.push({
        src: [tailnetSource(ts, row.group)],
        dst: [...ts.apiServer.tags],
        ip: ['tcp:443'],
        app: { [KUBERNETES_CAPABILITY]: [{ impersonate: { groups: [row.group] } }] },
      });
    }
  }
  for (const [, e] of Object.entries(ts.egress).sort(([a], [b]) => byText(a, b))) {
    if (e.tailnetIp)
      grants.push({
        src: [...ts.proxyTags],
        dst: [`${e.tailnetIp}/32`],
        ip: sorted(Object.values(e.ports).map((p) => `${p.protocol.toLowerCase()}:${p.port}`)),
      });
  }
  return {
    tagOwners: Object.fromEntries(
      Object.keys(ts.tagOwners)
        .sort(byText)
        .map((t) => [t, [...ts.tagOwners[t]!]]),
    ),
    autoApprovers: { routes: Object.fromEntries(ts.routes.map((r) => [r, [...ts.subnetRouter.tags]])) },
    grants,
  };
}
