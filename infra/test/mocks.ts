/**
 * Pulumi mocks for the infra tests: no engine, no CLI, no provider plugins. Every registered
 * resource is recorded with its inputs, so tests assert on what the program asked AWS and
 * Twingate for. This module must be evaluated before the program's modules: the harness
 * imports it first.
 */
import * as pulumi from '@pulumi/pulumi';

export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider: string;
}

/** Fake token values the mocked Twingate provider returns; they must never reach a plain output. */
export const FAKE_SECRET_MARK = 'FAKE-SECRET-';
/** The account the mocked credentials belong to (getCallerIdentity, and every mocked ARN). */
export const MOCK_ACCOUNT = '123456789012';
const ACCOUNT = MOCK_ACCOUNT;
/** A public certificate placeholder: mocked PEMs are never real keys. */
export const FAKE_PEM = '-----BEGIN CERTIFICATE-----\nFAKE-PUBLIC-CERTIFICATE\n-----END CERTIFICATE-----';

/**
 * The groups the mocked Twingate tenant has: on a first run, only what the identity provider
 * syncs (and the built-in Everyone); nothing the cluster creates later. Tests may change it.
 */
export const tenantGroups = new Set<string>(['Everyone', 'Engineering', 'Platform Admins']);

/** Names looked up with getTwingateGroups, in order. */
export const groupLookups: string[] = [];

/**
 * Outputs of other stacks, by fully qualified name, as a StackReference reads them (the shared
 * VPC Lattice stack of an environment). Tests set them; a missing stack has no outputs.
 */
export const stackOutputs = new Map<string, Record<string, unknown>>();

/** Every resource registered in this test file, in order. */
export const recorded: Recorded[] = [];

function computed(a: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const [pkg, mod] = a.type.split(':') as [string, string];
  const service = mod.split('/')[0];
  const base: Record<string, unknown> = { name: a.inputs.name ?? a.name };
  if (pkg === 'aws') base.arn = `arn:aws:${service}:mock-region:${ACCOUNT}:${a.type.split(':')[2]!.toLowerCase()}/${a.inputs.name ?? a.name}`;
  switch (a.type) {
    case 'aws:eks/cluster:Cluster':
      return { ...base, endpoint: `https://0123456789ABCDEF.gr7.mock-region.eks.amazonaws.com` };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { ...base, latestVersion: 1 };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { ...base, arn: `arn:aws:logs:mock-region:${ACCOUNT}:log-group:${a.inputs.name}` };
    case 'aws:kms/key:Key':
      return { ...base, keyId: `key-${a.name}` };
    case 'aws:route53/zone:Zone':
      return { ...base, zoneId: `Z-${a.name}` };
    case 'aws:acmpca/certificateAuthority:CertificateAuthority':
      return { ...base, certificateSigningRequest: `CSR-${a.name}` };
    case 'aws:acmpca/certificate:Certificate':
      return { ...base, certificate: FAKE_PEM, certificateChain: '' };
    case 'pulumi:pulumi:StackReference':
      return { name: a.inputs.name, outputs: stackOutputs.get(a.inputs.name) ?? {} };
    case 'twingate:index/twingateConnectorTokens:TwingateConnectorTokens':
      return { accessToken: `${FAKE_SECRET_MARK}access-${a.name}`, refreshToken: `${FAKE_SECRET_MARK}refresh-${a.name}` };
    default:
      return base;
  }
}

pulumi.runtime.setMocks(
  {
    newResource: (a) => {
      recorded.push({ type: a.type, name: a.name, inputs: a.inputs, provider: a.provider ?? '' });
      const state: Record<string, unknown> = { ...computed(a), ...a.inputs };
      // EKS creates the cluster security group the nodes carry; a VPC Lattice ingress rule names it.
      if (a.type === 'aws:eks/cluster:Cluster') state.vpcConfig = { ...a.inputs.vpcConfig, clusterSecurityGroupId: `sg-cluster-${a.inputs.name}` };
      if (a.type === 'pulumi:pulumi:StackReference') return { id: a.inputs.name, state: computed(a) };
      return { id: `${a.name}-id`, state };
    },
    call: (a) => {
      switch (a.token) {
        case 'aws:index/getAvailabilityZones:getAvailabilityZones':
          return { names: ['mock-1a', 'mock-1b', 'mock-1c', 'mock-1d', 'mock-1e', 'mock-1f'], id: 'zones' };
        case 'aws:index/getPartition:getPartition':
          return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
        case 'aws:index/getCallerIdentity:getCallerIdentity':
          return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/deployer`, userId: 'AROAMOCK', id: MOCK_ACCOUNT };
        case 'aws:ec2/getManagedPrefixList:getManagedPrefixList':
          return { id: `pl-${a.inputs.name}`, name: a.inputs.name, entries: [{ cidr: '169.254.171.0/24' }] };
        case 'aws:ssm/getParameter:getParameter':
          return { name: a.inputs.name, value: 'ami-0123456789abcdef0', id: a.inputs.name };
        case 'twingate:index/getTwingateGroups:getTwingateGroups':
          groupLookups.push(a.inputs.name);
          // Like the provider: an unknown name matches nothing (the first-run case).
          return {
            id: 'groups',
            groups: tenantGroups.has(a.inputs.name) ? [{ id: `group-${a.inputs.name}`, name: a.inputs.name, isActive: true, type: 'SYNCED' }] : [],
          };
        default:
          throw new Error(`unmocked call ${a.token}`);
      }
    },
  },
  'zt-eks-infra',
  'dev', // the entry point (src/index.ts) builds the environment named like the stack
  false, // not a preview: apply() callbacks run
  'organization', // what self-managed backends report; StackReference names are <org>/<project>/<stack>
);

/** A fake operator API key, obviously not a key; what `pulumi config set --secret` would hold. */
export const FAKE_OPERATOR_KEY = `${FAKE_SECRET_MARK}operator-api-key`;
pulumi.runtime.setConfig('zt-eks-infra:twingateOperatorApiKey', FAKE_OPERATOR_KEY);
