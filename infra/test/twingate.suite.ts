import * as twingate from '@twingate/pulumi-twingate';
import { describe, expect, it } from 'vitest';
import { chartConnectorCount, resolveTwingate } from '../../platform/twingate/settings';
import { API_ENDPOINT_ROLES } from '../src/twingate';
import type { Built } from './harness';

/** Runs against every environment built once by infra.test.ts. */
export function twingateSuite(built: readonly Built[]): void {
  describe('Twingate objects', () => {
    it('creates two remote networks per environment: aws-network (VPC) and eks-network (cluster)', () => {
      for (const b of built) {
        expect(b.of(twingate.TwingateRemoteNetwork).map((n) => [n.name, n.inputs.name, n.inputs.location])).toEqual([
          ['aws-network', `${b.env.name}-aws-network`, 'AWS'],
          ['eks-network', `${b.env.name}-eks-network`, 'AWS'],
        ]);
        const provider = b.one('pulumi:providers:twingate', `twingate-${b.env.name}`);
        expect(provider.inputs.network).toBe(resolveTwingate(b.env).network);
        expect(provider.inputs.apiToken).toBeUndefined(); // read from TWINGATE_API_TOKEN, never from code
      }
    });

    it('registers the connector counts of the environment on the right networks, with tokens for each', () => {
      for (const b of built) {
        const connectors = b.of(twingate.TwingateConnector);
        const on = (net: string) => connectors.filter((c) => c.inputs.remoteNetworkId === `${net}-id`).map((c) => c.name);
        expect(on('aws-network')).toEqual(Array.from({ length: b.env.infra!.connectors.ec2 }, (_, i) => `aws-connector-${i + 1}`));
        expect(on('eks-network')).toEqual(Array.from({ length: chartConnectorCount(b.env) }, (_, i) => `eks-connector-${i + 1}`));
        expect(
          b
            .of(twingate.TwingateConnectorTokens)
            .map((t) => t.inputs.connectorId)
            .sort(),
        ).toEqual(connectors.map((c) => `${c.name}-id`).sort());
      }
    });

    it('registers an eks-network connector exactly for chart-mode connectors: staging 1, dev and prod (operator) 0', () => {
      const clusterConnectors = Object.fromEntries(
        built.map((b) => [
          b.env.name,
          {
            mode: resolveTwingate(b.env).connectors.mode,
            derived: chartConnectorCount(b.env),
            registered: b.of(twingate.TwingateConnector).filter((c) => c.inputs.remoteNetworkId === 'eks-network-id').length,
          },
        ]),
      );
      expect(clusterConnectors).toEqual({
        dev: { mode: 'operator', derived: 0, registered: 0 },
        staging: { mode: 'chart', derived: 1, registered: 1 },
        prod: { mode: 'operator', derived: 0, registered: 0 },
        urlshort: { mode: 'operator', derived: 0, registered: 0 },
        'lattice-cluster1': { mode: 'operator', derived: 0, registered: 0 },
        'lattice-cluster2': { mode: 'operator', derived: 0, registered: 0 },
      });
    });

    it('publishes the private API endpoint on aws-network, HTTPS only, to the identity-provider groups with an admin role and the bootstrap group', () => {
      for (const b of built) {
        const r = b.one(twingate.TwingateResource, 'api-endpoint').inputs;
        expect(r.remoteNetworkId).toBe('aws-network-id');
        expect(r.address).toBe('0123456789ABCDEF.gr7.mock-region.eks.amazonaws.com');
        expect(r.protocols).toEqual({ allowIcmp: false, tcp: { policy: 'RESTRICTED', ports: ['443'] }, udp: { policy: 'DENY_ALL' } });
        const admins = [
          ...new Set([
            ...b.env.access
              .filter((a) => a.kubernetesRole && API_ENDPOINT_ROLES.includes(a.kubernetesRole) && !resolveTwingate(b.env).managedGroups.includes(a.group))
              .map((a) => a.group),
            b.env.infra!.bootstrap.twingateGroup,
          ]),
        ].map((g) => `group-${g}`);
        expect(admins.length).toBeGreaterThan(0);
        expect(r.accessGroups.map((g: { groupId: string }) => g.groupId)).toEqual(admins);
      }
      // Engineering has view/edit only: it reaches the cluster through the access gateway, not the endpoint.
      const dev = built.find((b) => b.env.name === 'dev')!;
      expect(dev.one(twingate.TwingateResource, 'api-endpoint').inputs.accessGroups).toEqual([{ groupId: 'group-Platform Admins' }]);
    });
  });
}
