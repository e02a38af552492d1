/**
 * VPC Lattice cloud objects of a multi-cluster environment (issue 16), in two kinds of stacks:
 *
 * - the **shared stack**, named after the environment (`lattice`): the service network (IAM
 *   auth) with its auth policy, a private CA with its root certificate, the ACM certificate for
 *   `*.<domain>` on every Gateway's HTTPS listener, and the Route 53 private zone `<domain>`;
 * - each **cluster stack** (`<env>-<cluster>`, an ordinary unit built by build.ts): its VPC's
 *   association with the service network (a security group allowing 443 from the VPC), the
 *   zone's association with its VPC, ingress from the Lattice data plane to the pods it
 *   exports, the gateway controller's role, and one role per caller app allowed to invoke
 *   exactly the Lattice services of the routes it calls. Roles are bound to ServiceAccounts by
 *   EKS Pod Identity, whose session tags (`eks-cluster-name`, `kubernetes-namespace`,
 *   `kubernetes-service-account`) the routes' IAMAuthPolicies match.
 *
 * Cluster stacks read the shared stack's outputs through a StackReference
 * ([docs/infra.md](../../docs/infra.md), "VPC Lattice").
 */

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { maybeSettingsOf } from '../../lib/component';
import type { Environment } from '../../lib/environment';
import { environmentError } from '../../lib/errors';
import { GATEWAY_CONTROLLER_SERVICE_ACCOUNT } from '../../platform/shared/vpc-lattice';
import { type LatticeView, latticeSettings } from '../../platform/vpc-lattice/settings';
import type { Context } from './context';
import { role, type Statement } from './iam';
import type { Network } from './network';
import { baseTags, type Tags } from './tags';

// The controller's ServiceAccount: one constant with the chart side (platform/shared/vpc-lattice.ts).
export { GATEWAY_CONTROLLER_SERVICE_ACCOUNT };

/**
 * Tags the gateway controller puts on each Lattice service it creates for an HTTPRoute
 * (aws-application-networking-k8s): its route's name and namespace, and the controller's
 * cluster name (the EKS cluster name the component configures).
 */
export const LATTICE_SERVICE_TAGS = {
  routeName: 'application-networking.k8s.aws/RouteName',
  routeNamespace: 'application-networking.k8s.aws/RouteNamespace',
  clusterName: 'application-networking.k8s.aws/ClusterName',
} as const;

/**
 * Lattice API actions AWS authorizes only on all resources (`"*"`: no resource type in the
 * service authorization reference). The controller finds the service network, its services and
 * target groups by listing; these are read-only and limited to the environment's region.
 */
export const LIST_ONLY_ACTIONS = [
  'tag:GetResources',
  'vpc-lattice:ListServiceNetworkServiceAssociations',
  'vpc-lattice:ListServiceNetworkVpcAssociations',
  'vpc-lattice:ListServiceNetworks',
  'vpc-lattice:ListServices',
  'vpc-lattice:ListTargetGroups',
] as const;

/**
 * What the controller must never do to objects the shared and cluster stacks own: delete or
 * change the service network, its auth policy, or its VPC associations.
 */
export const CONTROLLER_DENIED_ACTIONS = [
  'vpc-lattice:CreateServiceNetwork',
  'vpc-lattice:CreateServiceNetworkVpcAssociation',
  'vpc-lattice:DeleteAuthPolicy',
  'vpc-lattice:DeleteServiceNetwork',
  'vpc-lattice:DeleteServiceNetworkVpcAssociation',
  'vpc-lattice:PutAuthPolicy',
  'vpc-lattice:UpdateServiceNetwork',
  'vpc-lattice:UpdateServiceNetworkVpcAssociation',
] as const;

/** The managed prefix list of the Lattice data plane (169.254.171.0/24) in a region. */
export const latticePrefixListName = (region: string) => `com.amazonaws.${region}.vpc-lattice`;

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The units of one multi-cluster environment: every environment whose `vpcLattice` view names it, by name. */
export function latticeUnitsOf(envs: readonly Environment[], environment: string): Environment[] {
  return envs.filter((e) => maybeSettingsOf(e, latticeSettings)?.environment === environment).sort((a, b) => byName(a.name, b.name));
}

/**
 * The units a stack named `stack` builds the shared objects for: none when a unit has that name
 * (it is a cluster stack), else the units whose view names `stack` as their environment.
 */
export function sharedStackUnits(stack: string, envs: readonly Environment[]): Environment[] {
  return envs.some((e) => e.name === stack) ? [] : latticeUnitsOf(envs, stack);
}

/** A route some caller app calls, where it lives. */
export interface CalledRoute {
  /** Cluster (short name) whose gateway controller creates the route's Lattice service. */
  readonly cluster: string;
  /** That cluster's EKS name: the controller's `ClusterName` tag on the service. */
  readonly eksClusterName: string;
  readonly name: string;
  readonly namespace: string;
  readonly hostname: string;
}

/**
 * For each caller app of `unit` (sorted), the routes it calls (sorted by hostname), found in
 * the views of the environment's units. A hostname no route answers, a route whose callers do
 * not list the app, or a route listing a caller of this cluster that does not call it, is an
 * error: the views must agree on who calls what. So is a caller that has its own AWS role
 * (`apps.<app>.aws`).
 */
export function calledRoutes(unit: Environment, units: readonly Environment[]): Map<string, CalledRoute[]> {
  const view = maybeSettingsOf(unit, latticeSettings);
  const out = new Map<string, CalledRoute[]>();
  if (!view) return out;
  const routes = new Map<string, CalledRoute & { callers: LatticeView['routes'][number]['callers'] }>();
  for (const u of latticeUnitsOf(units, view.environment)) {
    const v = maybeSettingsOf(u, latticeSettings)!;
    for (const r of v.routes)
      routes.set(r.hostname, {
        cluster: v.cluster,
        eksClusterName: u.cluster.name,
        name: r.name,
        namespace: r.namespace,
        hostname: r.hostname,
        callers: r.callers,
      });
  }
  const callers = [...view.callers].sort((a, b) => byName(a.app, b.app));
  for (const c of callers) {
    // EKS Pod Identity binds one role per ServiceAccount: the app's own role (apps.<app>.aws) would collide.
    if ((unit.apps[c.app]?.aws.length ?? 0) > 0) {
      throw environmentError(
        unit.name,
        `apps.${c.app}.aws`,
        'a VPC Lattice caller cannot also declare AWS access yet (EKS Pod Identity binds one role per ServiceAccount)',
      );
    }
    const list: CalledRoute[] = [];
    for (const [j, hostname] of c.hostnames.entries()) {
      const path = `vpcLattice.callers[${view.callers.indexOf(c)}].hostnames[${j}]`;
      const r = routes.get(hostname);
      if (!r) throw environmentError(unit.name, path, `no cluster of environment ${view.environment} has a route ${JSON.stringify(hostname)}`);
      const listed = r.callers.some(
        (x) => x.cluster === view.cluster && x.namespace === c.namespace && x.serviceAccount === c.serviceAccount && x.app === c.app,
      );
      if (!listed) {
        throw environmentError(
          unit.name,
          path,
          `route ${r.cluster}:${r.namespace}/${r.name} does not list ${view.cluster}:${c.namespace}/${c.app} among its callers`,
        );
      }
      const { callers: _, ...route } = r;
      list.push(route);
    }
    out.set(
      c.app,
      list.sort((a, b) => byName(a.hostname, b.hostname)),
    );
  }
  // And the other way: a route listing a caller of this cluster that does not call it.
  for (const r of [...routes.values()].sort((a, b) => byName(a.hostname, b.hostname))) {
    for (const x of r.callers.filter((y) => y.cluster === view.cluster)) {
      if (!out.get(x.app)?.some((y) => y.hostname === r.hostname)) {
        throw environmentError(
          unit.name,
          'vpcLattice.callers',
          `${x.namespace}/${x.app} does not call ${r.hostname}, yet route ${r.cluster}:${r.namespace}/${r.name} lists it among its callers`,
        );
      }
    }
  }
  return out;
}

/** The tags the controller puts on the Lattice service of a route. */
export function latticeServiceTags(route: Pick<CalledRoute, 'name' | 'namespace' | 'eksClusterName'>): Record<string, string> {
  return {
    [LATTICE_SERVICE_TAGS.routeName]: route.name,
    [LATTICE_SERVICE_TAGS.routeNamespace]: route.namespace,
    [LATTICE_SERVICE_TAGS.clusterName]: route.eksClusterName,
  };
}

interface ArnParts {
  readonly partition: pulumi.Input<string>;
  readonly region: string;
  readonly accountId: string;
}

/** `arn:<partition>:vpc-lattice:<region>:<account>:<suffix>`. */
const latticeArn = (p: ArnParts, suffix: string) => pulumi.interpolate`arn:${p.partition}:vpc-lattice:${p.region}:${p.accountId}:${suffix}`;

/**
 * One Invoke statement per called route. The services' ids are the controller's, unknown to
 * infra: the statement names every service of the account and region, and its condition keeps
 * exactly the service the controller created for that route in the environment's service
 * network (the route's tags and the service network's ARN).
 */
export function invokeStatements(routes: readonly CalledRoute[], serviceNetworkArn: pulumi.Input<string>, p: ArnParts): Statement[] {
  return routes.map((r) => ({
    Action: 'vpc-lattice-svcs:Invoke',
    Resource: latticeArn(p, 'service/*'),
    Condition: {
      StringEquals: {
        'vpc-lattice-svcs:ServiceNetworkArn': serviceNetworkArn,
        ...Object.fromEntries(Object.entries(latticeServiceTags(r)).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
      },
    },
  }));
}

/** The gateway controller's statements: its Lattice objects in this account and region, never the stacks' own. */
export function controllerStatements(serviceNetworkArn: pulumi.Input<string>, p: ArnParts): Statement[] {
  return [
    { Action: [...LIST_ONLY_ACTIONS], Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': p.region } } },
    { Action: 'vpc-lattice:*', Resource: latticeArn(p, '*') },
    {
      Effect: 'Deny',
      Action: [...CONTROLLER_DENIED_ACTIONS],
      Resource: [serviceNetworkArn, latticeArn(p, 'servicenetwork/*'), latticeArn(p, 'servicenetworkvpcassociation/*')],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The shared stack

/** The shared stack's outputs; cluster stacks read them by these names (StackReference). */
export interface LatticeSharedOutputs {
  readonly environment: string;
  readonly region: string;
  /**
   * What the environment file's `lattice` block must say: the account the stack runs in
   * (`lattice.accountId`) and the certificate it issued (`lattice.certificateArn`).
   */
  readonly environmentFile: { accountId: pulumi.Output<string>; certificateArn: pulumi.Output<string>; caCertificate: pulumi.Output<string> };
  readonly serviceNetwork: { name: string; id: pulumi.Output<string>; arn: pulumi.Output<string> };
  /** The private CA; its certificate (public) is what callers trust for `*.<domain>`. */
  readonly certificateAuthority: { arn: pulumi.Output<string>; certificatePem: pulumi.Output<string> };
  readonly hostedZone: { name: string; id: pulumi.Output<string> };
  /** The units (cluster stacks) the environment expands into. */
  readonly clusters: string[];
}

/** The one value all units of an environment must agree on, or a one-line error naming both. */
function agreed<T>(units: readonly Environment[], environment: string, path: string, get: (u: Environment) => T): T {
  const first = get(units[0]!);
  for (const u of units.slice(1)) {
    const v = get(u);
    if (JSON.stringify(v) !== JSON.stringify(first)) {
      throw environmentError(environment, path, `clusters disagree: ${units[0]!.name} has ${JSON.stringify(first)}, ${u.name} has ${JSON.stringify(v)}`);
    }
  }
  return first;
}

/**
 * The shared objects of a multi-cluster environment, from its units. The private zone needs a
 * VPC when it is created, before any cluster exists: an empty anchor VPC (no subnet, no
 * gateway) holds it, and the cluster stacks add theirs with ZoneAssociations.
 */
export function buildLatticeShared(environment: string, units: readonly Environment[]): LatticeSharedOutputs {
  if (units.length === 0) throw environmentError(environment, '', 'has no cluster with a vpcLattice view to build a shared stack for');
  const view = (u: Environment) => maybeSettingsOf(u, latticeSettings)!;
  const region = agreed(units, environment, 'aws.region', (u) => u.aws.region);
  const serviceNetworkName = agreed(units, environment, 'lattice.serviceNetwork', (u) => view(u).serviceNetwork);
  const domain = agreed(units, environment, 'lattice.domain', (u) => view(u).domain);
  const accountId = agreed(units, environment, 'lattice.accountId', (u) => view(u).accountId);
  const infra = units[0]!.infra;
  if (!infra) throw environmentError(units[0]!.name, 'infra', 'is required to build the cloud (owner, nodes, ...; see lib/environment-infra.ts)');
  const provider = new aws.Provider(`aws-${environment}`, { region: region as aws.Region });
  const opts = { provider };
  const tags = (name: string): Tags => ({ ...baseTags({ name: environment }, infra), Name: `${environment}-${name}` });
  const partition = aws.getPartitionOutput({}, opts).partition;

  const serviceNetwork = new aws.vpclattice.ServiceNetwork(
    'service-network',
    { name: serviceNetworkName, authType: 'AWS_IAM', tags: tags('service-network') },
    opts,
  );
  // With IAM auth, a request needs an allow from the service network's policy and from the
  // service's (the routes' IAMAuthPolicies). This one admits only pods of the environment's
  // clusters, by the EKS Pod Identity session tag; the services' policies pick the callers.
  const eksClusterNames = units.map((u) => u.cluster.name).sort(byName);
  new aws.vpclattice.AuthPolicy(
    'service-network',
    {
      resourceIdentifier: serviceNetwork.arn,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${accountId}:root` },
            Action: 'vpc-lattice-svcs:Invoke',
            Resource: latticeArn({ partition, region, accountId }, 'service/*'),
            Condition: { StringEquals: { 'aws:PrincipalTag/eks-cluster-name': eksClusterNames } },
          },
        ],
      }),
    },
    opts,
  );

  const ca = new aws.acmpca.CertificateAuthority(
    'lattice-ca',
    {
      type: 'ROOT',
      usageMode: 'GENERAL_PURPOSE', // ACM issues only from general-purpose CAs
      certificateAuthorityConfiguration: {
        keyAlgorithm: 'RSA_2048',
        signingAlgorithm: 'SHA256WITHRSA',
        subject: { commonName: `${environment} Lattice CA`, organization: infra.owner },
      },
      permanentDeletionTimeInDays: 7,
      tags: tags('lattice-ca'),
    },
    opts,
  );
  const caCertificate = new aws.acmpca.Certificate(
    'lattice-ca',
    {
      certificateAuthorityArn: ca.arn,
      certificateSigningRequest: ca.certificateSigningRequest,
      signingAlgorithm: 'SHA256WITHRSA',
      templateArn: pulumi.interpolate`arn:${partition}:acm-pca:::template/RootCACertificate/V1`,
      validity: { type: 'YEARS', value: '10' },
    },
    opts,
  );
  const installed = new aws.acmpca.CertificateAuthorityCertificate(
    'lattice-ca',
    { certificateAuthorityArn: ca.arn, certificate: caCertificate.certificate, certificateChain: caCertificate.certificateChain },
    opts,
  );
  // ACM renews the private certificate itself only with these rights on the CA.
  const acmMayIssue = new aws.acmpca.Permission(
    'lattice-ca-acm',
    {
      certificateAuthorityArn: ca.arn,
      principal: 'acm.amazonaws.com',
      actions: ['GetCertificate', 'IssueCertificate', 'ListPermissions'],
      sourceAccount: accountId,
    },
    opts,
  );
  const certificate = new aws.acm.Certificate(
    'lattice-wildcard',
    { domainName: `*.${domain}`, certificateAuthorityArn: ca.arn, keyAlgorithm: 'RSA_2048', tags: tags('lattice-wildcard') },
    { ...opts, dependsOn: [installed, acmMayIssue] },
  );

  const anchor = new aws.ec2.Vpc(
    'zone-anchor',
    // The smallest VPC; nothing runs in it. Its range is outside every cluster's by construction (RFC 6598 space).
    { cidrBlock: '100.64.0.0/28', enableDnsHostnames: true, enableDnsSupport: true, tags: tags('zone-anchor') },
    opts,
  );
  new aws.ec2.DefaultSecurityGroup('zone-anchor-default-sg', { vpcId: anchor.id, ingress: [], egress: [], tags: tags('zone-anchor-default-deny') }, opts);
  const zone = new aws.route53.Zone(
    'lattice-zone',
    { name: domain, comment: `${environment}: VPC Lattice custom domain`, vpcs: [{ vpcId: anchor.id }], tags: tags('lattice-zone') },
    // The cluster stacks associate their VPCs; the zone must not undo that.
    { ...opts, ignoreChanges: ['vpcs'] },
  );

  const identity = aws.getCallerIdentityOutput({}, opts);
  return {
    environment,
    region,
    environmentFile: { accountId: identity.accountId, certificateArn: certificate.arn, caCertificate: caCertificate.certificate },
    serviceNetwork: { name: serviceNetworkName, id: serviceNetwork.id, arn: serviceNetwork.arn },
    certificateAuthority: { arn: ca.arn, certificatePem: caCertificate.certificate },
    hostedZone: { name: domain, id: zone.zoneId },
    clusters: units.map((u) => u.name),
  };
}

// ---------------------------------------------------------------------------------------------
// A cluster stack

/** What a cluster stack exports about Lattice. */
export interface LatticeClusterOutputs {
  readonly environment: string;
  readonly serviceNetworkAssociationId: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly zoneAssociationId: pulumi.Output<string>;
  readonly controllerRoleArn: pulumi.Output<string>;
  /** Role of each caller app, by app. */
  readonly callerRoles: Record<string, pulumi.Output<string>>;
}

/** The shared stack's outputs a cluster stack needs. */
export interface SharedRefs {
  readonly serviceNetworkId: string;
  readonly serviceNetworkArn: string;
  readonly zoneId: string;
}

/** The fully qualified name of the shared stack of an environment: same organization and project. */
export const sharedStackName = (environment: string) => `${pulumi.getOrganization()}/${pulumi.getProject()}/${environment}`;

/**
 * Checks the shared stack's outputs against a cluster's environment file: a cluster stack
 * whose view names another account, or another certificate, than the shared stack created
 * would deploy and then deny every request. One line each, naming the field to fix.
 */
export function checkSharedOutputs(unit: string, view: LatticeView, outputs: Readonly<Record<string, unknown>>): SharedRefs {
  const sn = outputs.serviceNetwork as { id?: string; arn?: string } | undefined;
  const zone = outputs.hostedZone as { id?: string } | undefined;
  const file = outputs.environmentFile as { accountId?: string; certificateArn?: string } | undefined;
  if (!sn?.id || !sn.arn || !zone?.id || !file?.accountId || !file.certificateArn) {
    throw environmentError(unit, 'vpcLattice', `stack ${view.environment} has no VPC Lattice outputs; run \`pulumi up --stack ${view.environment}\` first`);
  }
  if (file.accountId !== view.accountId) {
    throw environmentError(
      unit,
      'vpcLattice.accountId',
      `${view.accountId} is not the account of stack ${view.environment} (${file.accountId}); set lattice.accountId to it`,
    );
  }
  if (file.certificateArn !== view.certificateArn) {
    throw environmentError(
      unit,
      'vpcLattice.certificateArn',
      `${view.certificateArn} is not the certificate stack ${view.environment} issued (${file.certificateArn}); set lattice.certificateArn to it`,
    );
  }
  return { serviceNetworkId: sn.id, serviceNetworkArn: sn.arn, zoneId: zone.id };
}

/**
 * Reads and checks the shared stack's outputs for a unit with a `vpcLattice` view (undefined
 * for others). Awaited before anything is built: a mismatch stops the program with one line
 * and no resource registered.
 */
export async function readLatticeShared(env: Environment): Promise<SharedRefs | undefined> {
  const view = maybeSettingsOf(env, latticeSettings);
  if (!view) return undefined;
  const ref = new pulumi.StackReference(`lattice-${view.environment}`, { name: sharedStackName(view.environment) });
  const names = ['serviceNetwork', 'hostedZone', 'environmentFile'] as const;
  const details = await Promise.all(names.map((n) => ref.getOutputDetails(n)));
  // None of these outputs is secret; a secret value is read all the same.
  return checkSharedOutputs(env.name, view, Object.fromEntries(names.map((n, i) => [n, details[i]!.value ?? details[i]!.secretValue])));
}

/**
 * The Lattice objects of one cluster unit, or undefined when it has no `vpcLattice` view.
 * `units` are every loaded environment; the caller roles need the views of the other clusters
 * (where the routes they call live). `shared` is {@link readLatticeShared}'s answer.
 */
export function buildLatticeCluster(
  ctx: Context,
  cluster: aws.eks.Cluster,
  net: Network,
  units: readonly Environment[],
  shared: SharedRefs | undefined,
): LatticeClusterOutputs | undefined {
  const { env, opts } = ctx;
  const view = maybeSettingsOf(env, latticeSettings);
  if (!view) return undefined;
  if (!shared) throw new Error(`internal: ${env.name} has a vpcLattice view but the shared stack was not read (readLatticeShared)`);
  const called = calledRoutes(env, units.some((u) => u.name === env.name) ? units : [...units, env]);
  const arnParts: ArnParts = { partition: ctx.partition, region: env.aws.region, accountId: view.accountId };

  const sg = new aws.ec2.SecurityGroup(
    'sg-lattice',
    { vpcId: net.vpc.id, name: `${env.name}-lattice`, description: 'VPC Lattice service network: HTTPS from the VPC', tags: ctx.tags('lattice') },
    opts,
  );
  const sources = [...new Set([env.network.vpcCidr, env.network.podCidr])].sort(byName);
  for (const [i, cidr] of sources.entries()) {
    new aws.vpc.SecurityGroupIngressRule(
      `lattice-https-${i}`,
      { securityGroupId: sg.id, ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: cidr, tags: ctx.tags(`lattice-https-${i}`) },
      opts,
    );
  }
  const association = new aws.vpclattice.ServiceNetworkVpcAssociation(
    'lattice',
    { vpcIdentifier: net.vpc.id, serviceNetworkIdentifier: shared.serviceNetworkId, securityGroupIds: [sg.id], tags: ctx.tags('lattice') },
    opts,
  );
  const zoneAssociation = new aws.route53.ZoneAssociation('lattice-zone', { zoneId: shared.zoneId, vpcId: net.vpc.id }, opts);

  // The Lattice data plane reaches exported pods from its link-local range (a managed prefix
  // list); the nodes carry the cluster security group.
  const ports = [...new Set(view.exports.map((e) => e.port))].sort((a, b) => a - b);
  if (ports.length > 0) {
    const prefixList = aws.ec2.getManagedPrefixListOutput({ name: latticePrefixListName(env.aws.region) }, ctx.invokeOpts);
    for (const port of ports) {
      new aws.vpc.SecurityGroupIngressRule(
        `lattice-targets-${port}`,
        {
          securityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          prefixListId: prefixList.id,
          tags: ctx.tags(`lattice-targets-${port}`),
        },
        opts,
      );
    }
  }

  const controller = role(ctx, 'lattice-controller', {
    service: 'pods',
    description: 'AWS Gateway API controller: the Lattice services, listeners and target groups of this cluster',
    statements: controllerStatements(shared.serviceNetworkArn, arnParts),
  });
  podIdentity(ctx, cluster, 'lattice-controller', GATEWAY_CONTROLLER_SERVICE_ACCOUNT, controller);

  const callerRoles: Record<string, pulumi.Output<string>> = {};
  for (const [app, routes] of called) {
    const c = view.callers.find((x) => x.app === app)!;
    const name = `lattice-caller-${app}`;
    const r = role(ctx, name, {
      service: 'pods',
      description: `${c.namespace}/${app}: invoke ${routes.map((x) => x.hostname).join(', ')} through VPC Lattice`,
      statements: invokeStatements(routes, shared.serviceNetworkArn, arnParts),
    });
    podIdentity(ctx, cluster, name, { namespace: c.namespace, name: c.serviceAccount }, r);
    callerRoles[app] = r.arn;
  }

  return {
    environment: view.environment,
    serviceNetworkAssociationId: association.id,
    securityGroupId: sg.id,
    zoneAssociationId: zoneAssociation.id,
    controllerRoleArn: controller.arn,
    callerRoles,
  };
}

function podIdentity(ctx: Context, cluster: aws.eks.Cluster, name: string, sa: { namespace: string; name: string }, r: aws.iam.Role): void {
  new aws.eks.PodIdentityAssociation(
    name,
    // Session tags on (the default, stated): the auth policies match them.
    { clusterName: cluster.name, namespace: sa.namespace, serviceAccount: sa.name, roleArn: r.arn, disableSessionTags: false, tags: ctx.tags(name) },
    ctx.opts,
  );
}
