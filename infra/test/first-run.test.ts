/**
 * The first `pulumi up` on a tenant that has only what the identity provider syncs: nothing in
 * infra waits for a group the cluster creates later (issue 11 item 6). The mocked lookup
 * returns nothing for a name the tenant does not have, as the provider does.
 */
// First: installs the Pulumi mocks before the program's modules load.

import * as pulumi from '@pulumi/pulumi';
import * as twingate from '@twingate/pulumi-twingate';
import { afterEach, describe, expect, it } from 'vitest';
import devInput from '../../environments/dev';
import prodInput from '../../environments/prod';
import type { Environment } from '../../lib/environment';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { apiEndpointGroups, identityProviderGroupId } from '../src/twingate';
import { build } from './harness';
import { groupLookups, tenantGroups } from './mocks';

function env(input: EnvironmentInput): Environment {
  const r = validate(input);
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

const initialTenant = [...tenantGroups];
afterEach(() => {
  tenantGroups.clear();
  for (const g of initialTenant) tenantGroups.add(g);
});

describe('pulumi up on a tenant with no group the cluster creates (first run)', () => {
  it('an admin group the platform creates is never looked up; the endpoint goes to the IdP groups only', async () => {
    // prod with its managed on-call group given admin: on the first run "prod: SRE On-Call" does not exist yet.
    const input: EnvironmentInput = {
      ...prodInput,
      access: prodInput.access!.map((r) => (r.group === 'SRE On-Call' ? { ...r, kubernetesRole: 'admin' as const } : r)),
    };
    const prod = env(input);
    expect(apiEndpointGroups(prod)).toEqual({ identityProvider: ['Platform Admins'], managed: ['SRE On-Call'] });
    expect(tenantGroups.has('SRE On-Call')).toBe(false);
    groupLookups.length = 0;
    const b = await build(prod);
    expect(groupLookups).toEqual(['Platform Admins']);
    expect(b.one(twingate.TwingateResource, 'api-endpoint').inputs.accessGroups).toEqual([{ groupId: 'group-Platform Admins' }]);
  });

  it('a tenant holding only the bootstrap group from the IdP: every admin group created in-cluster, only the bootstrap group is looked up', async () => {
    // The bootstrap group must exist before anything runs in the cluster (settings refuse to
    // create it), so the emptiest tenant a cluster can be bootstrapped from holds exactly it.
    tenantGroups.clear();
    tenantGroups.add('Platform Bootstrap');
    const input: EnvironmentInput = {
      ...prodInput,
      name: 'empty',
      groups: [...prodInput.groups!, 'Platform Bootstrap'],
      twingate: { ...prodInput.twingate!, managedGroups: ['Engineering', 'Platform Admins', 'SRE On-Call'] },
      infra: { ...prodInput.infra!, bootstrap: { ...prodInput.infra!.bootstrap, twingateGroup: 'Platform Bootstrap' } },
    };
    groupLookups.length = 0;
    const b = await build(env(input));
    expect(groupLookups).toEqual(['Platform Bootstrap']);
    expect(b.one(twingate.TwingateResource, 'api-endpoint').inputs.accessGroups).toEqual([{ groupId: 'group-Platform Bootstrap' }]);
  });

  it('an identity-provider group missing from the tenant is a one-line user error naming the group, not a crash', () => {
    expect(apiEndpointGroups(env(devInput)).identityProvider).toEqual(['Platform Admins']);
    let error: unknown;
    try {
      identityProviderGroupId('dev', 'Platform Admins', []);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toBe(
      'environment dev: access: Twingate group "Platform Admins" not found; it must exist in Twingate (synced from the identity provider) before pulumi up, or be listed in twingate.managedGroups',
    );
    expect(message).not.toContain('\n');
    // RunError: Pulumi reports the message without the program's stack trace.
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    // A lookup matching other names (e.g. by prefix) does not count.
    expect(() => identityProviderGroupId('dev', 'Platform Admins', [{ id: 'x', name: 'Platform Admins (old)' }])).toThrow(/not found/);
    expect(identityProviderGroupId('dev', 'Platform Admins', [{ id: 'g1', name: 'Platform Admins' }])).toEqual({ groupId: 'g1' });
    expect(() =>
      identityProviderGroupId('dev', 'Platform Admins', [
        { id: 'g1', name: 'Platform Admins' },
        { id: 'g2', name: 'Platform Admins' },
      ]),
    ).toThrow('environment dev: access: 2 Twingate groups are named "Platform Admins"; expected 1');
  });
});
