/**
 * Tailscale cloud objects of an environment that enables the tailscale-operator component,
 * through the Tailscale Pulumi provider (credentials from TAILSCALE_OAUTH_CLIENT_ID and
 * TAILSCALE_OAUTH_CLIENT_SECRET, or TAILSCALE_API_KEY, plus TAILSCALE_TAILNET, in the
 * environment of `pulumi up`; never from git):
 *
 * - the tailnet policy (platform/tailscale/policy.ts: tags and their owners, auto-approvers for
 *   the advertised routes, grants from the access table). The policy file is one per tailnet:
 *   the stack that writes it owns it (docs/tailscale.md, "One policy per tailnet");
 * - the split DNS of the cluster's service domain to kube-dns (through the subnet router);
 * - the operator's OAuth client (write scopes Devices Core, Auth Keys and Services, tagged with
 *   the operator's tags), whose id and secret the caller stores where External Secrets reads
 *   them (`tailscale.secrets.oauthClientPath`).
 */
import * as pulumi from '@pulumi/pulumi';
import * as tailscale from '@pulumi/tailscale';
import type { Environment } from '../../lib/environment';
import { tailnetSplitDns } from '../../platform/tailscale/dns';
import { tailnetPolicy } from '../../platform/tailscale/policy';
import { maybeTailscale } from '../../platform/tailscale/settings';

/** What the operator's OAuth client may do (Tailscale's operator set-up). */
export const OPERATOR_OAUTH_SCOPES = ['auth_keys', 'devices:core', 'services'] as const;

/** The Secret keys the chart mounts (`operator-oauth`), as the JSON secret stores them. */
export type OauthClientValues = { client_id: string; client_secret: string };

export interface TailscaleObjects {
  readonly provider: tailscale.Provider;
  readonly policy: tailscale.Acl;
  readonly splitDns: tailscale.DnsSplitNameservers[];
  readonly oauthClient: tailscale.OauthClient;
  /** Secret: the OAuth client's id and key, in the shape of the operator's Secret. */
  readonly oauthValues: pulumi.Output<OauthClientValues>;
  /** Where External Secrets reads them. */
  readonly oauthClientPath: string;
}

/** The tailnet policy file, as the provider takes it (keys sorted, so a re-run is no change). */
export function policyJson(env: Environment): string {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sortKeys(tailnetPolicy(env)), null, 2);
}

/** The environment's Tailscale objects, or undefined when it does not use Tailscale. */
export function buildTailscale(env: Environment): TailscaleObjects | undefined {
  const ts = env.components.includes('tailscale-operator') ? maybeTailscale(env) : undefined;
  if (!ts) return undefined;
  const provider = new tailscale.Provider(`tailscale-${env.name}`, {});
  const opts = { provider };
  const policy = new tailscale.Acl('tailnet-policy', { acl: policyJson(env) }, opts);
  const splitDns = Object.entries(tailnetSplitDns(env)).map(
    ([domain, nameservers]) => new tailscale.DnsSplitNameservers(`split-dns-${domain}`, { domain, nameservers }, opts),
  );
  // The client's tags must be owned in the policy before it is created.
  const oauthClient = new tailscale.OauthClient(
    'operator-oauth',
    { description: `${env.name} Tailscale operator`, scopes: [...OPERATOR_OAUTH_SCOPES], tags: [...ts.operatorTags] },
    { ...opts, dependsOn: [policy] },
  );
  return {
    provider,
    policy,
    splitDns,
    oauthClient,
    oauthValues: pulumi.secret(pulumi.all([oauthClient.id, oauthClient.key]).apply(([id, key]): OauthClientValues => ({ client_id: id, client_secret: key }))),
    oauthClientPath: ts.secrets.oauthClientPath,
  };
}
