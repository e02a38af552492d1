/**
 * An example environment: the URL shortener of the "Zero Trust on EKS" demo (seed 004), with
 * both halves of its zero trust. The network layer: frontend -> api-gateway -> url-service,
 * url-service -> the database CIDR, worker -> SQS, DNS, nothing else (the demo's blocked-traffic
 * table is `blocked` below, proven closed at every synth). The identity layer: SPIFFE IDs from
 * SPIRE for the three services (trust domain `mol.la`, as in the demo), api-gateway calling
 * url-service over mTLS, and the worker reaching SQS with a role of its own through EKS Pod
 * Identity, never the node's credentials. People reach the frontend through Twingate (no public
 * load balancer). See docs/workload-identity.md.
 */
import { defineEnvironment } from '../platform/registry';

/** The demo's AWS resources (a documentation account: replace before a release). */
const QUEUE = 'arn:aws:sqs:us-east-1:111122223333:urlshort-clicks';

export default defineEnvironment({
  name: 'urlshort',
  aws: { region: 'us-east-1' },
  cluster: { name: 'urlshort-eks', kubernetesVersion: '1.31' },
  network: { vpcCidr: '10.0.0.0/16', podCidr: '10.0.0.0/16', serviceCidr: '172.20.0.0/16' },
  namespaces: ['twingate', 'public', 'services', 'spire-server'],
  apps: {
    frontend: {
      namespace: 'public',
      image: 'ghcr.io/acme/urlshort-frontend:1.0.0',
      replicas: 2,
      ports: { http: { containerPort: 8080, servicePort: 80 } },
    },
    'api-gateway': {
      namespace: 'services',
      image: 'ghcr.io/acme/urlshort-api-gateway:1.0.0',
      replicas: 2,
      ports: { http: { containerPort: 8000 } },
    },
    'url-service': {
      namespace: 'services',
      image: 'ghcr.io/acme/urlshort-url-service:1.0.0',
      replicas: 2,
      // The first port serves (readiness checks it): mTLS only, health on a second port.
      ports: { mtls: { containerPort: 8443 }, health: { containerPort: 8080 } },
    },
    worker: {
      namespace: 'services',
      image: 'ghcr.io/acme/urlshort-worker:1.0.0',
      ports: { health: { containerPort: 8080 } },
      // Its own role: consume exactly one queue.
      aws: [{ actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], resources: [QUEUE] }],
    },
  },
  flows: [
    { from: 'twingate/connector', to: 'public/frontend', port: 'http', description: 'people reach the frontend through Twingate' },
    { from: 'public/frontend', to: 'services/api-gateway', port: 'http', description: 'frontend calls the API gateway (HTTP 8000)' },
    { from: 'services/api-gateway', to: 'services/url-service', port: 'mtls', description: 'mTLS with SPIFFE SVIDs (spire.mtls)' },
    { from: 'services/url-service', to: { cidr: '10.0.0.0/16', except: [] }, port: 5432, description: 'url-service to the RDS PostgreSQL database' },
    {
      from: 'services/worker',
      to: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] },
      port: 443,
      description: 'worker to SQS (HTTPS)',
    },
    {
      from: 'services/worker',
      to: { cidr: '169.254.170.23/32', except: [] },
      port: 80,
      description: "worker fetches its role's credentials (EKS Pod Identity agent)",
    },
  ],
  blocked: [
    { from: 'services/worker', to: 'services/api-gateway', reason: 'no policy allows it' },
    { from: 'services/worker', to: 'services/url-service', reason: 'no policy allows it' },
    { from: 'public/frontend', to: 'services/url-service', reason: 'the frontend goes through the API gateway' },
    { from: 'services/url-service', to: 'services/api-gateway', reason: 'no policy allows it' },
    { from: { cidr: '0.0.0.0/0', except: [] }, to: 'public/*', reason: 'no ingress from outside the cluster' },
    { from: { cidr: '0.0.0.0/0', except: [] }, to: 'services/*', reason: 'no ingress from outside the cluster' },
    { from: 'services/*', to: 'spire-server/server', reason: 'only SPIRE agents talk to the SPIRE server' },
  ],
  spire: {
    trustDomain: 'mol.la',
    identities: ['services/api-gateway', 'services/url-service', 'services/worker'],
    mtls: [{ client: 'services/api-gateway', server: 'services/url-service', port: 'mtls', description: 'url-service accepts only the API gateway' }],
  },
  twingate: { network: 'acme' },
  components: ['network-policy', 'cert-manager', 'external-secrets', 'twingate-operator', 'twingate-access-gateway', 'argo-cd', 'spire-crds', 'spire'],
  groups: ['Engineering', 'Platform Admins'],
  access: [
    { group: 'Engineering', resources: ['frontend'], kubernetesRole: 'view' },
    { group: 'Platform Admins', resources: ['frontend', 'api-gateway', 'url-service', 'worker'], kubernetesRole: 'admin' },
  ],
  infra: {
    owner: 'platform-team',
    bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/zt-eks-bootstrap', twingateGroup: 'Platform Admins' },
    availabilityZones: 2,
    nodes: { instanceTypes: ['t3.large'], min: 2, desired: 2, max: 3 },
  },
});
