/**
 * The IAM auth policy of one Lattice route: who may invoke the VPC Lattice service behind it.
 *
 * VPC Lattice evaluates it against the caller's SigV4 identity. Callers are pods with an EKS Pod
 * Identity role, whose sessions carry the tags `eks-cluster-name`, `kubernetes-namespace` and
 * `kubernetes-service-account` (set by Pod Identity, not by the pod), so a statement per declared
 * caller matches exactly that workload, whatever role it assumed in the account. Nothing else is
 * allowed: the principal is the service network's account (never `*`), the action is
 * `vpc-lattice-svcs:Invoke` only, and a route without callers gets a policy that denies every
 * request (VPC Lattice rejects an auth policy without statements; with `AWS_IAM` auth no allow
 * already means deny, the statement says so explicitly).
 */
import type { LatticeView } from './settings';

type Route = LatticeView['routes'][number];
type Caller = Route['callers'][number];

/** The only action an auth policy here allows. */
export const INVOKE = 'vpc-lattice-svcs:Invoke';

/** The Pod Identity session tags a statement matches, by caller field. */
export const SESSION_TAGS = {
  eksClusterName: 'aws:PrincipalTag/eks-cluster-name',
  namespace: 'aws:PrincipalTag/kubernetes-namespace',
  serviceAccount: 'aws:PrincipalTag/kubernetes-service-account',
} as const satisfies Record<keyof Pick<Caller, 'eksClusterName' | 'namespace' | 'serviceAccount'>, string>;

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: { readonly AWS: string } | '*';
  readonly Action: string;
  readonly Resource: '*';
  readonly Condition?: { readonly StringEquals: Readonly<Record<string, string>> };
}

export interface AuthPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** The AWS partition (`aws`, `aws-cn`, `aws-us-gov`) of the service network: the certificate's, which lives beside it. */
export function partitionOf(arn: string): string {
  const m = /^arn:(aws[a-z-]*):/.exec(arn);
  if (!m) throw new Error(`internal: ${JSON.stringify(arn)} is not an ARN`);
  return m[1]!;
}

const callerKey = (c: Caller) => `${c.eksClusterName}/${c.namespace}/${c.serviceAccount}`;

/**
 * The policy document for a route: one Allow per distinct caller identity (sorted, so the JSON is
 * stable), or one Deny of everything when the route has no caller. `Resource: "*"` is the service
 * the policy is attached to (an auth policy cannot name another resource). The principal is the
 * account root in the partition of the environment, i.e. any role of the account, narrowed by the tags.
 */
export function authPolicy(view: Pick<LatticeView, 'accountId' | 'certificateArn'>, route: Pick<Route, 'callers'>): AuthPolicyDocument {
  const callers = [...new Map(route.callers.map((c) => [callerKey(c), c])).values()].sort((a, b) =>
    callerKey(a) < callerKey(b) ? -1 : callerKey(a) > callerKey(b) ? 1 : 0,
  );
  if (callers.length === 0) {
    return { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: INVOKE, Resource: '*' }] };
  }
  return {
    Version: '2012-10-17',
    Statement: callers.map((c) => ({
      Effect: 'Allow',
      Principal: { AWS: `arn:${partitionOf(view.certificateArn)}:iam::${view.accountId}:root` },
      Action: INVOKE,
      Resource: '*',
      Condition: {
        StringEquals: {
          [SESSION_TAGS.eksClusterName]: c.eksClusterName,
          [SESSION_TAGS.namespace]: c.namespace,
          [SESSION_TAGS.serviceAccount]: c.serviceAccount,
        },
      },
    })),
  };
}
