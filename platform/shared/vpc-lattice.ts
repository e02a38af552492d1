/**
 * The AWS Gateway API controller's namespace and ServiceAccount: the vpc-lattice component's
 * chart installs the controller there (platform/vpc-lattice), and infra's EKS Pod Identity
 * association gives exactly this ServiceAccount the controller's role (VPC Lattice management,
 * `eks:DescribeCluster` on its own cluster). One constant for both sides.
 */
export const GATEWAY_CONTROLLER_SERVICE_ACCOUNT = { namespace: 'aws-application-networking-system', name: 'gateway-api-controller' } as const;
