/**
 * The `infra` block of an environment: settings only the Pulumi program (`infra/`) reads. Charts
 * never look here; what both layers need (region, cluster name, CIDRs) stays in the main schema.
 */
import { z } from 'zod';

const show = (value: unknown) => JSON.stringify(value);

/** EC2 instance type such as `m7i.large` or `t3.micro`. */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** An IAM role ARN in any partition; paths allowed. */
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** What AWS accepts in a tag value (line and paragraph separators aside: it is one line). */
const TAG_VALUE = /^[\p{L}\p{Zs}\p{N}_.:/=+\-@]*$/u;

/** Retention periods offered for the logs (CloudWatch accepts only fixed values). */
const RETENTION_DAYS: readonly number[] = [30, 90, 180, 365];

const instanceType = z.string().refine((s) => INSTANCE_TYPE.test(s), { error: (i) => `${show(i.input)} is not an EC2 instance type like "m7i.large"` });

const roleArn = z.string().refine((s) => ROLE_ARN.test(s), { error: (i) => `${show(i.input)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)` });

const count = (min: number, max: number) =>
  z.number().refine((n) => Number.isInteger(n) && n >= min && n <= max, { error: (i) => `${show(i.input)} is not a whole number from ${min} to ${max}` });

const nodes = z
  .strictObject({
    /** Instance types of the managed node group, first preferred. */
    instanceTypes: z.array(instanceType).min(1),
    /** @default 2 */
    min: count(0, 100).default(2),
    /** @default 2 */
    desired: count(0, 100).default(2),
    /** @default 4 */
    max: count(1, 100).default(4),
    /** Encrypted root volume size in GiB. @default 50 */
    diskGiB: count(20, 2000).default(50),
  })
  .superRefine((n, ctx) => {
    if (n.min > n.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `${n.min} is above max ${n.max}` });
    else if (n.desired < n.min || n.desired > n.max) {
      ctx.addIssue({ code: 'custom', path: ['desired'], message: `${n.desired} is not between min ${n.min} and max ${n.max}` });
    }
  });

const connectors = z.strictObject({
  /**
   * EC2 connector hosts in the `aws-network` remote network; they carry the traffic to the
   * private EKS API endpoint. Spread over the availability zones. @default 1
   */
  ec2: count(1, 6).default(1),
  /** @default "t3.micro" */
  ec2InstanceType: instanceType.default('t3.micro'),
});

const bootstrap = z.strictObject({
  /**
   * The IAM role that runs `pnpm bootstrap` (installs Argo CD and the root Application). It gets
   * an EKS access entry with cluster-admin, because installing Argo CD creates CRDs and binds
   * ClusterRoles that grant everything (Kubernetes refuses to bind rights the binder lacks).
   * Assume it only to bootstrap; afterwards Argo CD manages itself with its own ServiceAccount.
   */
  roleArn,
  /**
   * The Twingate group (synced from the identity provider, declared in `groups`) whose members
   * may reach the private API endpoint through the `aws-network` connectors to run the bootstrap.
   */
  twingateGroup: z.string().refine((s) => s.trim() === s && s.length > 0, { error: (i) => `${show(i.input)} is not a group name` }),
});

export const infraSchema = z
  .strictObject({
    /** Value of the `owner` tag on every AWS resource (a team or a mailbox). */
    owner: z.string().refine((s) => s.trim() === s && s.length > 0 && s.length <= 256 && TAG_VALUE.test(s), {
      error: (i) => `${show(i.input)} is not an owner tag value (letters, digits, spaces and _ . : / = + - @, at most 256)`,
    }),
    /** Availability zones the VPC spans, one private and one public subnet each. @default 3 */
    availabilityZones: count(2, 6).default(3),
    /** One NAT gateway per availability zone (survives an AZ outage) instead of one in total. @default false */
    natPerZone: z.boolean().default(false),
    nodes,
    /**
     * Break-glass IAM roles that get cluster-admin through EKS access entries. People normally
     * reach the cluster through Twingate and the access gateway, not through these. @default []
     */
    adminRoleArns: z.array(roleArn).default([]),
    /**
     * Who installs Argo CD on the new cluster (`pnpm bootstrap`): required in every environment,
     * since the cluster grants nobody access by default (API authentication mode, no creator admin).
     */
    bootstrap,
    /**
     * EC2 connector hosts. In-cluster chart connectors are not counted here: infra registers one
     * exactly when `twingate.connectors.mode` is "chart". @default 1 EC2 connector (t3.micro)
     */
    connectors: connectors.default({ ec2: 1, ec2InstanceType: 't3.micro' }),
    /** Retention of VPC flow logs and EKS control-plane logs, in days. @default 90 */
    logRetentionDays: z
      .number()
      .refine((n) => RETENTION_DAYS.includes(n), { error: (i) => `${show(i.input)} is not one of ${RETENTION_DAYS.join(', ')}` })
      .default(90),
  })
  .superRefine((infra, ctx) => {
    // EKS holds one access entry per principal.
    const i = infra.adminRoleArns.indexOf(infra.bootstrap.roleArn);
    if (i >= 0)
      ctx.addIssue({ code: 'custom', path: ['bootstrap', 'roleArn'], message: `is also adminRoleArns[${i}]; use a role of its own for the bootstrap` });
  });

export type InfraSettings = z.output<typeof infraSchema>;
