/**
 * Split DNS in both directions.
 *
 * - Cluster -> tailnet: the operator's nameserver (`DNSConfig`) answers for MagicDNS names; it
 *   gets a fixed Service IP (`tailscale.dns.nameserverIp`), so the CoreDNS stub zone that
 *   forwards `ts.net` to it is known at synth time. On EKS, CoreDNS is an add-on whose Corefile
 *   is set through the add-on's configuration: {@link corednsAddonConfiguration} is that exact
 *   value (infra passes it; docs/tailscale.md shows the manual way).
 * - Tailnet -> cluster: tailnet clients send `svc.<cluster domain>` queries to kube-dns through
 *   the subnet router ({@link tailnetSplitDns}, set in the tailnet's DNS settings by infra).
 */
import { formatIpv4, parseCidr } from '../../lib/cidr';
import type { Environment } from '../../lib/environment';
import { resolveTailscale } from './settings';

/** kube-dns's ClusterIP on EKS: the service CIDR's tenth address. */
export function kubeDnsIp(env: Pick<Environment, 'network'>): string {
  return formatIpv4(parseCidr(env.network.serviceCidr)!.start + 10);
}

/** The server block CoreDNS needs for tailnet names. */
export function corednsStubZone(env: Environment): string {
  const ts = resolveTailscale(env);
  return [`${ts.dns.zone}:53 {`, '    errors', '    cache 30', `    forward . ${ts.dns.nameserverIp}`, '}'].join('\n');
}

/** EKS's default Corefile for the CoreDNS add-on (what the add-on installs when given no configuration). */
function eksDefaultCorefile(domain: string): string {
  return [
    '.:53 {',
    '    errors',
    '    health {',
    '        lameduck 5s',
    '    }',
    '    ready',
    `    kubernetes ${domain} in-addr.arpa ip6.arpa {`,
    '        pods insecure',
    '        fallthrough in-addr.arpa ip6.arpa',
    '    }',
    '    prometheus :9153',
    '    forward . /etc/resolv.conf',
    '    cache 30',
    '    loop',
    '    reload',
    '    loadbalance',
    '}',
  ].join('\n');
}

/** The CoreDNS add-on's `configurationValues` (JSON): EKS's default Corefile plus the stub zone. */
export function corednsAddonConfiguration(env: Environment): string {
  return JSON.stringify({ corefile: `${eksDefaultCorefile(env.cluster.domain)}\n${corednsStubZone(env)}\n` });
}

/** Tailnet DNS settings: the cluster's service domain resolved by kube-dns, reached through the subnet router. */
export function tailnetSplitDns(env: Environment): Record<string, string[]> {
  return { [`svc.${env.cluster.domain}`]: [kubeDnsIp(env)] };
}
