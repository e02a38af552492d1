/**
 * The `vpcLattice` block: one cluster's view of its environment's VPC Lattice service network.
 * Users never write it: the expansion of a multi-cluster environment file (lib/clusters.ts)
 * derives it for each cluster from the environment-level `lattice` block and the cross-cluster
 * flows, so every cluster's objects (Gateway, HTTPRoutes, ServiceExports/Imports, auth policies,
 * the SigV4 injection policy) and its infra stack read the same resolved data.
 */
import { z } from 'zod';
import { type SettingsBlock, settingsOf } from '../../lib/component';
import type { Environment } from '../../lib/environment';

const show = (v: unknown) => JSON.stringify(v);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const label = z.string().refine((s) => s.length <= 63 && DNS_LABEL.test(s), { error: (i) => `${show(i.input)} is not a DNS-1123 label` });
const hostname = z.string().refine((s) => s.length <= 253 && s.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l)), {
  error: (i) => `${show(i.input)} is not a DNS name`,
});
const port = z.number().int().min(1).max(65535);
const ACCOUNT = /^\d{12}$/;
const CERT_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;

/** A workload allowed to call a route: matched by IAM on its Pod Identity session tags. */
const caller = z.strictObject({
  /** The caller's cluster, by its short name in the environment (`clusters[].name`). */
  cluster: label,
  /** The caller's EKS cluster name: the `eks-cluster-name` session tag. */
  eksClusterName: label,
  /** `kubernetes-namespace` session tag. */
  namespace: label,
  /** `kubernetes-service-account` session tag (apps run as a ServiceAccount named after them). */
  serviceAccount: label,
  /** The calling app. */
  app: label,
});

const schema = z.strictObject({
  /** The multi-cluster environment this cluster belongs to (the environment file's name). */
  environment: label,
  /** This cluster's short name in that environment. */
  cluster: label,
  /** AWS account of the service network (the IAM auth policies' principal). */
  accountId: z.string().refine((s) => ACCOUNT.test(s), { error: (i) => `${show(i.input)} is not an AWS account id (12 digits)` }),
  /** The Lattice service network; the Gateway of every cluster has this name. */
  serviceNetwork: label,
  /** The private custom domain (Route 53 private zone) under which every route is named. */
  domain: hostname,
  /** ACM certificate (issued by the private CA) for `*.<domain>`, on the Gateway's HTTPS listener. */
  certificateArn: z.string().refine((s) => CERT_ARN.test(s), { error: (i) => `${show(i.input)} is not an ACM certificate ARN` }),
  /** Services of this cluster exported to the service network: a ServiceExport (and TargetGroupPolicy) each. */
  exports: z.array(z.strictObject({ namespace: label, app: label, portName: label, port })),
  /** Services of other clusters routed from this cluster: a ServiceImport each. */
  imports: z.array(z.strictObject({ namespace: label, app: label, fromCluster: label })),
  /**
   * Routes this cluster owns: an HTTPRoute (hostname `<name>.<domain>`, on the Gateway) and an
   * IAMAuthPolicy allowing exactly `callers`. The backend is a local Service, or a ServiceImport
   * of a service another cluster exports.
   */
  routes: z.array(
    z.strictObject({
      name: label,
      namespace: label,
      hostname,
      backend: z.strictObject({ kind: z.enum(['Service', 'ServiceImport']), namespace: label, name: label, port }),
      callers: z.array(caller),
    }),
  ),
  /**
   * PEM certificate of the private CA that issued `certificateArn` (public data, an infra output
   * like the ARN): the SigV4 signing proxy of every caller trusts it for the routes' TLS. Without it
   * the proxy trusts only its image's public CA bundle. Optional, added by the kyverno component.
   */
  caCertificate: z
    .string()
    .refine((s) => /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n?$/.test(s), { error: 'is not a PEM certificate' })
    .optional(),
  /** Apps of this cluster that call routes: exactly these get the SigV4 signing proxy. */
  callers: z.array(z.strictObject({ namespace: label, app: label, serviceAccount: label, hostnames: z.array(hostname) })),
});

export type LatticeView = z.output<typeof schema>;
export type LatticeViewInput = z.input<typeof schema>;
export const VPC_LATTICE_KEY = 'vpcLattice';

export const latticeSettings: SettingsBlock<typeof schema, LatticeView, typeof VPC_LATTICE_KEY> = {
  key: VPC_LATTICE_KEY,
  schema,
  resolve: (parsed) => parsed,
};

export const latticeOf = (env: Environment): LatticeView => settingsOf(env, latticeSettings);
