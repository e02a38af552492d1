/**
 * The flow helpers every component with a controller or a webhook uses: the API server's
 * addresses as a destination and as a source, and AWS's interface endpoints without a duplicate
 * of the API server flow.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerPeers, apiServerSources, awsEndpointPeers, fromApiServer, toApiServer, toAwsEndpoints } from '../../lib/cluster';
import type { Environment } from '../../lib/environment';
import { loadEnvironments } from '../../lib/load';

type Layout = Pick<Environment, 'name' | 'network' | 'infra'>;
const network = { vpcCidr: '10.10.0.0/16', podCidr: '10.10.0.0/16', serviceCidr: '172.20.0.0/16' } as Layout['network'];
const withoutInfra = { name: 'x', network } as Layout;
let withInfra: Layout;
beforeAll(async () => {
  withInfra = (await loadEnvironments()).find((e) => e.name === 'dev')!;
  expect(withInfra.infra).toBeDefined();
});

describe('toApiServer', () => {
  it('one flow per API server peer, on 443: the kubernetes Service IP, then the control-plane subnets', () => {
    const flows = toApiServer(withInfra, 'ns/w', 'w to the API server');
    expect(flows.map((f) => f.to)).toEqual(apiServerPeers(withInfra));
    expect(flows[0]).toEqual({ from: 'ns/w', to: { cidr: '172.20.0.1/32', except: [] }, port: 443, description: 'w to the API server' });
    expect(flows.length).toBe(1 + withInfra.infra!.availabilityZones);
  });
});

describe('fromApiServer', () => {
  it("one flow per API server source to the webhook's port, named or numbered", () => {
    const flows = fromApiServer(withInfra, 'ns/webhook', 'https', 'the API server calls it');
    expect(flows.map((f) => f.from)).toEqual(apiServerSources(withInfra));
    expect(flows.every((f) => f.to === 'ns/webhook' && f.port === 'https')).toBe(true);
    expect(fromApiServer(withoutInfra, 'ns/webhook', 10250, 'd')).toEqual([
      { from: { cidr: '10.10.0.0/16', except: [] }, to: 'ns/webhook', port: 10250, description: 'd' },
    ]);
  });
});

describe('toAwsEndpoints', () => {
  it('the private subnets with an infra block', () => {
    const flows = toAwsEndpoints(withInfra, 'ns/c', 'to AWS');
    expect(flows.map((f) => f.to)).toEqual(awsEndpointPeers(withInfra));
    expect(flows.length).toBe(withInfra.infra!.availabilityZones);
  });
  it('nothing without one: the endpoints are the VPC, which the API server flow of the same workload already allows', () => {
    expect(awsEndpointPeers(withoutInfra)).toEqual([{ cidr: '10.10.0.0/16', except: [] }]);
    expect(toAwsEndpoints(withoutInfra, 'ns/c', 'to AWS')).toEqual([]);
  });
});
