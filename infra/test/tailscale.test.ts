/**
 * The Tailscale side of infra (src/tailscale.ts) under the Pulumi mocks: the tailnet policy is
 * the one platform/tailscale/policy.ts computes, the OAuth client has the operator's scopes and
 * tags, its id and key reach Secrets Manager only as a secret (where External Secrets may read
 * them), and CoreDNS gets the stub zone. Built for dev with Tailscale switched on beside
 * Twingate; environments without Tailscale create nothing of it.
 */
// First: installs the Pulumi mocks before the program's modules load.

import * as aws from '@pulumi/aws';
import * as tailscale from '@pulumi/tailscale';
import { beforeAll, describe, expect, it } from 'vitest';
import devInput from '../../environments/dev';
import type { Environment } from '../../lib/environment';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { corednsAddonConfiguration } from '../../platform/tailscale/dns';
import { tailnetPolicy } from '../../platform/tailscale/policy';
import { OPERATOR_OAUTH_SCOPES, policyJson } from '../src/tailscale';
import { type Built, build, isSecretInput } from './harness';

function env(input: EnvironmentInput): Environment {
  const r = validate(input);
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

const both = (): Environment =>
  env({
    ...devInput,
    name: 'both',
    namespaces: [...devInput.namespaces, 'tailscale'],
    components: [...(devInput.components ?? []), 'tailscale-operator'],
    tailscale: {},
  });

describe('Tailscale objects', () => {
  // Built once: the mocks record every registration of the process.
  let e: Environment;
  let b: Built;
  beforeAll(async () => {
    e = both();
    b = await build(e);
  });

  it('write the tailnet policy the platform computes, split DNS to kube-dns, and the operator OAuth client', () => {
    const acl = b.one(tailscale.Acl, 'tailnet-policy');
    expect(JSON.parse(acl.inputs.acl)).toEqual(JSON.parse(JSON.stringify(tailnetPolicy(e))));
    expect(acl.inputs.acl).toBe(policyJson(e));
    expect(b.of(tailscale.DnsSplitNameservers).map((d) => [d.inputs.domain, d.inputs.nameservers])).toEqual([['svc.cluster.local', ['172.20.0.10']]]);
    const client = b.one(tailscale.OauthClient, 'operator-oauth');
    expect(client.inputs.scopes).toEqual([...OPERATOR_OAUTH_SCOPES]);
    expect(client.inputs.tags).toEqual(['tag:k8s-operator']);
    // Credentials come from the environment of `pulumi up`, never from code.
    const provider = b.one('pulumi:providers:tailscale', 'tailscale-both');
    expect(provider.inputs.oauthClientSecret ?? provider.inputs.apiKey).toBeUndefined();
  });

  it('stores the OAuth client as a secret under the path External Secrets reads, and grants the ESO role that secret', () => {
    const secret = b.one(aws.secretsmanager.Secret, 'tailscale-oauth-client');
    expect(secret.inputs.name).toBe('zt-eks/both/tailscale/oauth-client');
    const version = b.one(aws.secretsmanager.SecretVersion, 'tailscale-oauth-client');
    expect(isSecretInput(version.inputs.secretString)).toBe(true);
    expect(b.outputs.tailscale.oauthClient.name).toBe('zt-eks/both/tailscale/oauth-client');
    expect(b.secretOutputs).toEqual([]);
    const policies = b.of(aws.iam.RolePolicy).map((p) => JSON.stringify(p.inputs.policy));
    expect(policies.some((p) => p.includes('secret/zt-eks/both/tailscale/oauth-client'))).toBe(true);
  });

  it('configures CoreDNS with the tailnet stub zone only where Tailscale split DNS is on', async () => {
    expect(b.one(aws.eks.Addon, 'coredns').inputs.configurationValues).toBe(corednsAddonConfiguration(e));
    const dev = await build(env({ ...devInput, name: 'plain' }));
    expect(dev.one(aws.eks.Addon, 'coredns').inputs.configurationValues).toBeUndefined();
    expect(dev.of(tailscale.OauthClient)).toEqual([]);
    expect(dev.outputs.tailscale).toBeNull();
  });
});
