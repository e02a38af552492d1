/**
 * The VPC Lattice side of infra (src/lattice.ts) under the Pulumi mocks, on a two-cluster
 * fixture shaped like issue 16's seed: units `lattice-cluster1` and `lattice-cluster2` (same VPC
 * range), each carrying the `vpcLattice` view the expansion derives, and the shared stack
 * `lattice`. The shared stack is built first; its resolved outputs are what the cluster
 * stacks' StackReference reads, as `pulumi up` would in that order.
 */
// First: installs the Pulumi mocks before the program's modules load.

import * as aws from '@pulumi/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { whoami } from '../../environments/_shared';
import devInput from '../../environments/dev';
import type { Environment } from '../../lib/environment';
import { type EnvironmentInput, validate } from '../../platform/registry';
import type { LatticeViewInput } from '../../platform/vpc-lattice/settings';
import {
  buildLatticeShared,
  CONTROLLER_DENIED_ACTIONS,
  calledRoutes,
  checkSharedOutputs,
  GATEWAY_CONTROLLER_SERVICE_ACCOUNT,
  LATTICE_SERVICE_TAGS,
  LIST_ONLY_ACTIONS,
  latticeUnitsOf,
  readLatticeShared,
  sharedStackName,
  sharedStackUnits,
} from '../src/lattice';
import { type Built, build, type Recorded, resolveDeep, settle } from './harness';
import { FAKE_PEM, MOCK_ACCOUNT, recorded, stackOutputs } from './mocks';

const DOMAIN = 'lattice.zt.internal';
const CERT = `arn:aws:acm:mock-region:${MOCK_ACCOUNT}:certificate/lattice-wildcard`;
const host = (name: string) => `${name}.${DOMAIN}`;
const caller = (cluster: string, app: string) => ({ cluster, eksClusterName: `eks-${cluster}`, namespace: 'apps', serviceAccount: app, app });

/** The views the expansion derives for the seed's flows, plus app3 calling both routes. */
const views: Record<string, LatticeViewInput> = {
  cluster1: {
    environment: 'lattice',
    cluster: 'cluster1',
    accountId: MOCK_ACCOUNT,
    serviceNetwork: 'zt-lattice',
    domain: DOMAIN,
    certificateArn: CERT,
    exports: [{ namespace: 'apps', app: 'app1', portName: 'http', port: 8080 }],
    imports: [{ namespace: 'apps', app: 'app2', fromCluster: 'cluster2' }],
    routes: [
      {
        name: 'app1',
        namespace: 'apps',
        hostname: host('app1'),
        backend: { kind: 'Service', namespace: 'apps', name: 'app1', port: 80 },
        callers: [caller('cluster2', 'app2'), caller('cluster2', 'app3')],
      },
      {
        name: 'app2',
        namespace: 'apps',
        hostname: host('app2'),
        backend: { kind: 'ServiceImport', namespace: 'apps', name: 'app2', port: 80 },
        callers: [caller('cluster1', 'app1'), caller('cluster2', 'app3')],
      },
    ],
    callers: [{ namespace: 'apps', app: 'app1', serviceAccount: 'app1', hostnames: [host('app2')] }],
  },
  cluster2: {
    environment: 'lattice',
    cluster: 'cluster2',
    accountId: MOCK_ACCOUNT,
    serviceNetwork: 'zt-lattice',
    domain: DOMAIN,
    certificateArn: CERT,
    exports: [{ namespace: 'apps', app: 'app2', portName: 'http', port: 8080 }],
    imports: [],
    routes: [],
    callers: [
      { namespace: 'apps', app: 'app3', serviceAccount: 'app3', hostnames: [host('app2'), host('app1')] },
      { namespace: 'apps', app: 'app2', serviceAccount: 'app2', hostnames: [host('app1')] },
    ],
  },
};

function env(input: EnvironmentInput): Environment {
  const r = validate(input);
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

const app = (extra: Partial<ReturnType<typeof whoami>> = {}) => ({ ...whoami(1), namespace: 'apps', ...extra });

/** A unit as the expansion makes it: an ordinary environment with its cluster's view. */
function unit(cluster: 'cluster1' | 'cluster2', view: LatticeViewInput = views[cluster]!, apps: EnvironmentInput['apps'] = undefined): Environment {
  return env({
    ...devInput,
    name: `lattice-${cluster}`,
    cluster: { name: `eks-${cluster}`, kubernetesVersion: '1.31' },
    network: { vpcCidr: '10.0.0.0/16', podCidr: '10.0.0.0/16', serviceCidr: '172.20.0.0/16' },
    namespaces: [...devInput.namespaces, 'apps'],
    apps: apps ?? { ...devInput.apps, ...(cluster === 'cluster1' ? { app1: app() } : { app2: app(), app3: app() }) },
    vpcLattice: view,
  });
}

/** The shared stack, built and resolved like harness.build does for a unit. */
async function buildShared(units: readonly Environment[]) {
  const secrets: string[] = [];
  const outputs = (await resolveDeep(buildLatticeShared('lattice', units), '', secrets)) as Record<string, any>;
  await settle();
  const resources = recorded.filter((r) => r.provider.includes('::aws-lattice::'));
  return { outputs, secrets, resources, of: (t: { __pulumiType: string }) => resources.filter((r) => r.type === t.__pulumiType) };
}

const policyOf = (b: Built, role: string) => JSON.parse(b.one(aws.iam.RolePolicy, `${role}-inline`).inputs.policy) as { Statement: any[] };
const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const typeOf = (t: unknown) => (t as { __pulumiType: string }).__pulumiType;

describe('VPC Lattice infra', () => {
  let units: Environment[];
  let shared: Awaited<ReturnType<typeof buildShared>>;
  let built: Built[];
  beforeAll(async () => {
    units = [unit('cluster1'), unit('cluster2')];
    shared = await buildShared(units);
    stackOutputs.set(sharedStackName('lattice'), shared.outputs);
    built = [];
    for (const u of units) built.push(await build(u, units));
  });

  describe('shared stack', () => {
    it('creates one service network with IAM auth, one private CA, one certificate for *.<domain>, one private zone', () => {
      const one = (t: unknown) => {
        const list = shared.resources.filter((r) => r.type === typeOf(t));
        expect(list).toHaveLength(1);
        return list[0]!;
      };
      expect(one(aws.vpclattice.ServiceNetwork).inputs).toMatchObject({ name: 'zt-lattice', authType: 'AWS_IAM' });
      expect(one(aws.acmpca.CertificateAuthority).inputs).toMatchObject({ type: 'ROOT', usageMode: 'GENERAL_PURPOSE' });
      expect(one(aws.acmpca.Certificate).inputs.templateArn).toBe('arn:aws:acm-pca:::template/RootCACertificate/V1');
      one(aws.acmpca.CertificateAuthorityCertificate);
      expect(one(aws.acmpca.Permission).inputs).toMatchObject({ principal: 'acm.amazonaws.com', sourceAccount: MOCK_ACCOUNT });
      const cert = one(aws.acm.Certificate).inputs;
      expect(cert.domainName).toBe(`*.${DOMAIN}`);
      expect(cert.certificateAuthorityArn).toBe(shared.outputs.certificateAuthority.arn);
      const zone = one(aws.route53.Zone).inputs;
      expect(zone.name).toBe(DOMAIN);
      // The anchor VPC holds the zone until the clusters associate theirs.
      expect(zone.vpcs).toEqual([{ vpcId: 'zone-anchor-id' }]);
      expect(one(aws.ec2.Vpc).inputs.cidrBlock).toBe('100.64.0.0/28');
      expect(shared.of(aws.ec2.Subnet as never)).toEqual([]);
    });

    it("lets into the service network only this account's principals tagged with one of the environment's EKS clusters", () => {
      const policy = JSON.parse(shared.resources.find((r) => r.type === typeOf(aws.vpclattice.AuthPolicy))!.inputs.policy);
      expect(policy.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${MOCK_ACCOUNT}:root` },
          Action: 'vpc-lattice-svcs:Invoke',
          Resource: `arn:aws:vpc-lattice:eu-west-2:${MOCK_ACCOUNT}:service/*`,
          Condition: { StringEquals: { 'aws:PrincipalTag/eks-cluster-name': ['eks-cluster1', 'eks-cluster2'] } },
        },
      ]);
    });

    it('outputs what the environment file needs (accountId, certificateArn, the CA certificate), none of it secret', () => {
      expect(shared.outputs.environmentFile).toEqual({ accountId: MOCK_ACCOUNT, certificateArn: CERT, caCertificate: FAKE_PEM });
      expect(shared.outputs.serviceNetwork).toEqual({
        name: 'zt-lattice',
        id: 'service-network-id',
        arn: `arn:aws:vpclattice:mock-region:${MOCK_ACCOUNT}:servicenetwork/zt-lattice`,
      });
      expect(shared.outputs.hostedZone).toEqual({ name: DOMAIN, id: 'Z-lattice-zone' });
      expect(shared.outputs.clusters).toEqual(['lattice-cluster1', 'lattice-cluster2']);
      expect(shared.secrets).toEqual([]);
    });

    it('is refused when the clusters disagree on what they share', () => {
      const other = unit('cluster2', { ...views.cluster2!, domain: 'other.zt.internal' });
      expect(() => buildLatticeShared('lattice', [units[0]!, other])).toThrow(
        'environment lattice: lattice.domain: clusters disagree: lattice-cluster1 has "lattice.zt.internal", lattice-cluster2 has "other.zt.internal"',
      );
    });
  });

  describe('cluster stacks', () => {
    it('associate each VPC with the service network through a security group allowing HTTPS from the VPC, and with the zone', () => {
      for (const b of built) {
        const assoc = b.one(aws.vpclattice.ServiceNetworkVpcAssociation, 'lattice').inputs;
        expect(assoc).toMatchObject({
          vpcIdentifier: 'vpc-id',
          serviceNetworkIdentifier: shared.outputs.serviceNetwork.id,
          securityGroupIds: ['sg-lattice-id'],
        });
        const rules = b.of(aws.vpc.SecurityGroupIngressRule).filter((r) => r.inputs.securityGroupId === 'sg-lattice-id');
        expect(rules.map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4])).toEqual([['tcp', 443, 443, '10.0.0.0/16']]);
        expect(b.one(aws.route53.ZoneAssociation, 'lattice-zone').inputs).toEqual({ zoneId: 'Z-lattice-zone', vpcId: 'vpc-id' });
        expect(b.outputs.lattice.serviceNetworkAssociationId).toBe('lattice-id');
      }
    });

    it('let the Lattice data plane (its managed prefix list) reach the exported ports on the nodes', () => {
      for (const b of built) {
        const rules = b.of(aws.vpc.SecurityGroupIngressRule).filter((r) => r.name.startsWith('lattice-targets-'));
        expect(rules.map((r) => r.inputs)).toEqual([
          expect.objectContaining({
            securityGroupId: `sg-cluster-${b.env.cluster.name}`,
            prefixListId: 'pl-com.amazonaws.eu-west-2.vpc-lattice',
            fromPort: 8080,
            toPort: 8080,
          }),
        ]);
      }
    });

    it('give each caller app a role whose Invoke statements are exactly the routes listing it as a caller', () => {
      const allRoutes = units.flatMap((u) => views[u.name.replace('lattice-', '')]!.routes.map((r) => ({ r, eks: u.cluster.name })));
      let checked = 0;
      for (const b of built) {
        const view = views[b.env.name.replace('lattice-', '')]!;
        const callerRoles = b
          .of(aws.iam.Role)
          .map((r) => r.name)
          .filter((n) => n.startsWith('lattice-caller-'))
          .sort();
        expect(callerRoles).toEqual(view.callers.map((c) => `lattice-caller-${c.app}`).sort());
        for (const c of view.callers) {
          // Expected from the routes' side (who lists this app), not from the caller's hostnames the program reads.
          const expected = allRoutes
            .filter(({ r }) => r.callers.some((x) => x.cluster === view.cluster && x.app === c.app && x.namespace === c.namespace))
            .map(({ r, eks }) => [r.name, r.namespace, eks].join('|'))
            .sort();
          const statements = policyOf(b, `lattice-caller-${c.app}`).Statement;
          const granted = statements.map((s) => {
            expect(s.Effect).toBe('Allow');
            expect(s.Action).toBe('vpc-lattice-svcs:Invoke');
            expect(s.Resource).toBe(`arn:aws:vpc-lattice:eu-west-2:${MOCK_ACCOUNT}:service/*`);
            const cond = s.Condition.StringEquals;
            expect(cond['vpc-lattice-svcs:ServiceNetworkArn']).toBe(shared.outputs.serviceNetwork.arn);
            expect(Object.keys(s.Condition)).toEqual(['StringEquals']);
            return [
              cond[`aws:ResourceTag/${LATTICE_SERVICE_TAGS.routeName}`],
              cond[`aws:ResourceTag/${LATTICE_SERVICE_TAGS.routeNamespace}`],
              cond[`aws:ResourceTag/${LATTICE_SERVICE_TAGS.clusterName}`],
            ].join('|');
          });
          expect(granted.sort()).toEqual(expected);
          checked += expected.length;
        }
      }
      // app1 → app2; app2 → app1; app3 → app1, app2.
      expect(checked).toBe(4);
      const app3 = policyOf(built[1]!, 'lattice-caller-app3').Statement.map(
        (s: any) => s.Condition.StringEquals[`aws:ResourceTag/${LATTICE_SERVICE_TAGS.routeName}`],
      );
      expect(app3).toEqual(['app1', 'app2']);
    });

    it('bind callers and the controller to their ServiceAccounts through Pod Identity, session tags on, trust only pods.eks.amazonaws.com', () => {
      for (const b of built) {
        const view = views[b.env.name.replace('lattice-', '')]!;
        const expected = [
          { name: 'lattice-controller', namespace: GATEWAY_CONTROLLER_SERVICE_ACCOUNT.namespace, serviceAccount: GATEWAY_CONTROLLER_SERVICE_ACCOUNT.name },
          ...view.callers.map((c) => ({ name: `lattice-caller-${c.app}`, namespace: c.namespace, serviceAccount: c.serviceAccount })),
        ].sort((x, y) => (x.name < y.name ? -1 : 1));
        const assocs = b
          .of(aws.eks.PodIdentityAssociation)
          .filter((a) => a.name.startsWith('lattice-'))
          .sort((x, y) => (x.name < y.name ? -1 : 1));
        expect(assocs.map((a) => ({ name: a.name, namespace: a.inputs.namespace, serviceAccount: a.inputs.serviceAccount }))).toEqual(expected);
        for (const a of assocs) {
          expect(a.inputs).toMatchObject({
            clusterName: b.env.cluster.name,
            disableSessionTags: false,
            roleArn: expect.stringContaining(`role/${b.env.name}-${a.name}`),
          });
          const trust = JSON.parse(b.one(aws.iam.Role, a.name).inputs.assumeRolePolicy);
          expect(trust.Statement).toEqual([
            { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
          ]);
        }
        expect(Object.keys(b.outputs.lattice.callerRoles).sort()).toEqual(view.callers.map((c) => c.app).sort());
      }
    });

    it('has no "*" resource in lattice IAM but the controller\'s list-only statement, region-bound, and denies the controller the stacks\' own objects', () => {
      for (const b of built) {
        const lattice = b.of(aws.iam.RolePolicy).filter((p: Recorded) => p.name.startsWith('lattice-'));
        expect(lattice.map((p) => p.name).sort()).toEqual(
          ['lattice-controller-inline', ...Object.keys(b.outputs.lattice.callerRoles).map((a) => `lattice-caller-${a}-inline`)].sort(),
        );
        for (const p of lattice) {
          for (const s of JSON.parse(p.inputs.policy).Statement) {
            for (const r of asList(s.Resource)) {
              if (r === '*') {
                expect(p.name).toBe('lattice-controller-inline');
                expect(s).toEqual({
                  Effect: 'Allow',
                  Action: [...LIST_ONLY_ACTIONS],
                  Resource: '*',
                  Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-2' } },
                });
              } else {
                expect(r).toMatch(new RegExp(`^arn:aws:vpc-?lattice:(eu-west-2|mock-region):${MOCK_ACCOUNT}:`));
              }
            }
          }
        }
        const controller = policyOf(b, 'lattice-controller').Statement;
        expect(controller.find((s) => s.Effect === 'Deny')).toEqual({
          Effect: 'Deny',
          Action: [...CONTROLLER_DENIED_ACTIONS],
          Resource: [
            shared.outputs.serviceNetwork.arn,
            `arn:aws:vpc-lattice:eu-west-2:${MOCK_ACCOUNT}:servicenetwork/*`,
            `arn:aws:vpc-lattice:eu-west-2:${MOCK_ACCOUNT}:servicenetworkvpcassociation/*`,
          ],
        });
        expect(b.of(aws.iam.RolePolicyAttachment).filter((p) => p.name.startsWith('lattice-'))).toEqual([]);
      }
    });

    it('output no secret', () => {
      for (const b of built) expect(b.secretOutputs).toEqual([]);
    });
  });

  describe('mistakes', () => {
    it('a cluster stack checks the shared stack: present, same account, same certificate (one line each)', () => {
      const view = { ...views.cluster1!, callers: [], routes: [] } as Parameters<typeof checkSharedOutputs>[1];
      expect(checkSharedOutputs('lattice-cluster1', view, shared.outputs)).toEqual({
        serviceNetworkId: 'service-network-id',
        serviceNetworkArn: shared.outputs.serviceNetwork.arn,
        zoneId: 'Z-lattice-zone',
      });
      expect(() => checkSharedOutputs('lattice-cluster1', view, {})).toThrow(
        'environment lattice-cluster1: vpcLattice: stack lattice has no VPC Lattice outputs; run `pulumi up --stack lattice` first',
      );
      expect(() => checkSharedOutputs('lattice-cluster1', { ...view, accountId: '111122223333' }, shared.outputs)).toThrow(
        `environment lattice-cluster1: vpcLattice.accountId: 111122223333 is not the account of stack lattice (${MOCK_ACCOUNT}); set lattice.accountId to it`,
      );
      const other = `arn:aws:acm:eu-west-2:${MOCK_ACCOUNT}:certificate/11111111-1111-1111-1111-111111111111`;
      expect(() => checkSharedOutputs('lattice-cluster1', { ...view, certificateArn: other }, shared.outputs)).toThrow(
        `environment lattice-cluster1: vpcLattice.certificateArn: ${other} is not the certificate stack lattice issued (${CERT}); set lattice.certificateArn to it`,
      );
    });

    it('a cluster stack reads the shared stack before registering anything, and stops when it is missing or disagrees', async () => {
      const view = (environment: string) => ({ ...views.cluster1!, environment, callers: [], routes: [] });
      const alone = (environment: string) => unit('cluster1', view(environment), { ...devInput.apps });
      await expect(readLatticeShared(alone('nowhere'))).rejects.toThrow(
        'environment lattice-cluster1: vpcLattice: stack nowhere has no VPC Lattice outputs; run `pulumi up --stack nowhere` first',
      );
      stackOutputs.set(sharedStackName('elsewhere'), { ...shared.outputs, environmentFile: { accountId: '111122223333', certificateArn: CERT } });
      await expect(readLatticeShared(alone('elsewhere'))).rejects.toThrow(
        `environment lattice-cluster1: vpcLattice.accountId: ${MOCK_ACCOUNT} is not the account of stack elsewhere (111122223333); set lattice.accountId to it`,
      );
      expect(await readLatticeShared(units[0]!)).toEqual({
        serviceNetworkId: 'service-network-id',
        serviceNetworkArn: shared.outputs.serviceNetwork.arn,
        zoneId: 'Z-lattice-zone',
      });
      expect(await readLatticeShared(env(devInput))).toBeUndefined();
    });

    it('a caller of a hostname no cluster routes, of a route that does not list it, or listed by a route it does not call, is one line', () => {
      const stray = unit('cluster2', { ...views.cluster2!, callers: [{ namespace: 'apps', app: 'app2', serviceAccount: 'app2', hostnames: [host('nope')] }] });
      expect(() => calledRoutes(stray, [units[0]!, stray])).toThrow(
        'environment lattice-cluster2: vpcLattice.callers[0].hostnames[0]: no cluster of environment lattice has a route "nope.lattice.zt.internal"',
      );
      const unlisted = unit('cluster1', {
        ...views.cluster1!,
        callers: [{ namespace: 'apps', app: 'app1', serviceAccount: 'app1', hostnames: [host('app1')] }],
      });
      expect(() => calledRoutes(unlisted, [unlisted, units[1]!])).toThrow(
        'environment lattice-cluster1: vpcLattice.callers[0].hostnames[0]: route cluster1:apps/app1 does not list cluster1:apps/app1 among its callers',
      );
      const silent = unit('cluster2', { ...views.cluster2!, callers: views.cluster2!.callers.filter((c) => c.app !== 'app3') });
      expect(() => calledRoutes(silent, [units[0]!, silent])).toThrow(
        'environment lattice-cluster2: vpcLattice.callers: apps/app3 does not call app1.lattice.zt.internal, yet route cluster1:apps/app1 lists it among its callers',
      );
    });

    it('a caller that also declares its own AWS access is refused (one Pod Identity role per ServiceAccount)', () => {
      const both = env({
        ...devInput,
        name: 'lattice-cluster1',
        cluster: { name: 'eks-cluster1', kubernetesVersion: '1.31' },
        namespaces: [...devInput.namespaces, 'apps'],
        apps: { ...devInput.apps, app1: app({ aws: [{ actions: ['sqs:ReceiveMessage'], resources: ['arn:aws:sqs:eu-west-2:111122223333:q'] }] }) },
        flows: [...(devInput.flows ?? []), { from: 'apps/app1', to: { cidr: '169.254.170.23/32' }, port: 80, description: 'Pod Identity agent' }],
        vpcLattice: views.cluster1!,
      });
      expect(() => calledRoutes(both, [both, units[1]!])).toThrow(
        'environment lattice-cluster1: apps.app1.aws: a VPC Lattice caller cannot also declare AWS access yet (EKS Pod Identity binds one role per ServiceAccount)',
      );
    });

    it('finds the units of an environment by their views, not by their names', () => {
      expect(latticeUnitsOf([units[1]!, units[0]!, env({ ...devInput, name: 'lattice-x' })], 'lattice').map((u) => u.name)).toEqual([
        'lattice-cluster1',
        'lattice-cluster2',
      ]);
      expect(latticeUnitsOf(units, 'dev')).toEqual([]);
    });

    it('the entry point builds the shared stack for a stack named after the environment, a unit for a unit name', () => {
      expect(sharedStackUnits('lattice', units).map((u) => u.name)).toEqual(['lattice-cluster1', 'lattice-cluster2']);
      expect(sharedStackUnits('lattice-cluster1', units)).toEqual([]);
      expect(sharedStackUnits('dev', units)).toEqual([]);
    });
  });
});
