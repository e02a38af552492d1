import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as twingate from '@twingate/pulumi-twingate';
import { describe, expect, it } from 'vitest';
import { CLUSTER_SECRET_TYPE } from '../../argocd/cluster-secret';
import { loadEnvironment } from '../../lib/load';
import { EXTERNAL_SECRETS_SERVICE_ACCOUNT } from '../../platform/shared/external-secrets';
import { secretNames } from '../../platform/twingate/cloud-names';
import { chartConnectorCount, resolveTwingate } from '../../platform/twingate/settings';
import { argoObjects, reader, realTree } from '../../tests/support/argocd';
import { childApplications, generateApplications } from '../../tests/support/argocd-evaluate';
import { buildInfra } from '../src/build';
import { REQUIRED_TAG_KEYS } from '../src/tags';
import { argoConfig, type Built, FAKE_OPERATOR_KEY, FAKE_SECRET_MARK, typeToken } from './harness';

/**
 * Resource types AWS does not tag (associations, attachments, inline policies, secret
 * versions, aliases), and providers. Everything else must carry the required tags.
 */
const UNTAGGABLE = new Set(
  [
    'pulumi:providers:aws',
    'pulumi:providers:twingate',
    aws.ec2.RouteTableAssociation,
    aws.iam.RolePolicyAttachment,
    aws.iam.RolePolicy,
    aws.secretsmanager.SecretVersion,
    aws.kms.Alias,
    aws.eks.AccessPolicyAssociation,
    aws.route53.ZoneAssociation,
  ].map(typeToken),
);

/** Runs against every environment built once by infra.test.ts. */
export function buildSuite(built: readonly Built[]): void {
  describe('buildInfra', () => {
    it('builds every environment', () => {
      expect(built.map((b) => b.env.name)).toEqual(['dev', 'lattice-cluster1', 'lattice-cluster2', 'prod', 'staging', 'urlshort']);
    });

    it('tags every AWS resource with environment, owner and managed-by', () => {
      for (const b of built) {
        const taggable = b.resources.filter((r) => r.type.startsWith('aws:') && !UNTAGGABLE.has(r.type));
        expect(taggable.length).toBeGreaterThan(50);
        for (const r of taggable) {
          expect(r.inputs.tags, `${b.env.name} ${r.type} ${r.name}`).toMatchObject({
            environment: b.env.name,
            owner: b.env.infra!.owner,
            'managed-by': 'pulumi',
          });
        }
        // What the nodes and volumes get at launch, too.
        for (const spec of b.one(aws.ec2.LaunchTemplate, 'eks-nodes').inputs.tagSpecifications) {
          expect(Object.keys(spec.tags)).toEqual(expect.arrayContaining([...REQUIRED_TAG_KEYS]));
        }
      }
    });

    it('follows the per-environment definitions: zones, NAT, sizes, connector counts', () => {
      const shape = Object.fromEntries(
        built.map((b) => [
          b.env.name,
          {
            zones: b.outputs.network.zones.length,
            nats: b.of(aws.ec2.NatGateway).length,
            ec2: b.of(aws.ec2.Instance).length,
            cluster: b.outputs.secrets.clusterConnectors.length,
          },
        ]),
      );
      expect(shape).toEqual({
        dev: { zones: 2, nats: 1, ec2: 1, cluster: 0 },
        staging: { zones: 3, nats: 1, ec2: 1, cluster: 1 },
        prod: { zones: 3, nats: 3, ec2: 2, cluster: 0 },
        urlshort: { zones: 2, nats: 1, ec2: 1, cluster: 0 },
        'lattice-cluster1': { zones: 2, nats: 1, ec2: 1, cluster: 0 },
        'lattice-cluster2': { zones: 2, nats: 1, ec2: 1, cluster: 0 },
      });
      // Cluster connectors are not a setting: they follow twingate.connectors.mode.
      for (const b of built) expect(b.outputs.secrets.clusterConnectors, b.env.name).toHaveLength(chartConnectorCount(b.env));
    });

    it('outputs what the charts consume, in their shape', () => {
      for (const b of built) {
        const o = b.outputs;
        expect(o.environment).toBe(b.env.name);
        expect(o.cluster).toEqual({
          name: b.env.cluster.name,
          endpoint: expect.stringMatching(/^https:\/\//),
          arn: expect.stringContaining(':cluster/'),
          version: b.env.cluster.kubernetesVersion,
        });
        expect(o.network).toMatchObject({
          vpcId: 'vpc-id',
          vpcCidr: b.env.network.vpcCidr,
          podCidr: b.env.network.podCidr,
          serviceCidr: b.env.network.serviceCidr,
        });
        expect(o.roles.externalSecrets).toMatch(new RegExp(`role/${b.env.name}-external-secrets$`));
        expect(o.secrets.apiKey).toEqual({ name: secretNames.apiKey(b.env), arn: expect.stringContaining(secretNames.apiKey(b.env)) });
        expect(o.secrets.remoteNetworkId.name).toBe(secretNames.remoteNetworkId(b.env));
        expect(o.twingate).toEqual({
          network: resolveTwingate(b.env).network,
          awsNetworkId: 'aws-network-id',
          eksNetworkId: 'eks-network-id',
          apiEndpointResourceId: 'api-endpoint-id',
        });
      }
    });

    it('has no secret value in any plain output, and no secret-marked output at all', () => {
      for (const b of built) {
        expect(b.secretOutputs).toEqual([]);
        const text = JSON.stringify(b.outputs);
        expect(text).not.toContain(FAKE_SECRET_MARK);
        expect(text).not.toContain(FAKE_OPERATOR_KEY);
      }
    });

    it('fails with one line when an environment has no infra or twingate block', async () => {
      const env = await loadEnvironment('dev');
      expect(() =>
        buildInfra({ ...env, infra: undefined }, { operatorApiKey: pulumi.secret('x'), argo: { namespace: 'argocd', clusterLabel: 'env' } }),
      ).toThrow(/^environment dev: infra: is required to build the cloud \(owner, nodes, \.\.\.; see lib\/environment-infra\.ts\)$/);
      expect(() =>
        buildInfra(
          { ...env, settings: { ...env.settings, twingate: undefined } },
          { operatorApiKey: pulumi.secret('x'), argo: { namespace: 'argocd', clusterLabel: 'env' } },
        ),
      ).toThrow(/^environment dev: twingate: is required to build the cloud \(the Twingate network of the connectors\)$/);
    });
  });

  describe('Argo CD cluster Secret output', () => {
    it('names the in-cluster server after the EKS cluster, labelled and annotated with what infra created, with no credential', async () => {
      const argo = await argoConfig();
      for (const b of built) {
        const secret = b.outputs.argocdClusterSecret;
        expect(secret.metadata.name).toBe(b.one(aws.eks.Cluster, 'cluster').inputs.name);
        expect(secret.metadata.namespace).toBe(argo.namespace);
        expect(secret.metadata.labels).toEqual({ ...CLUSTER_SECRET_TYPE, [argo.clusterLabel]: b.env.name });
        expect(secret.metadata.annotations).toEqual({
          aws_account_id: '123456789012',
          aws_cluster_name: b.env.cluster.name,
          aws_region: b.env.aws.region,
          aws_vpc_id: 'vpc-id',
          external_secrets_iam_role_arn: b.outputs.roles.externalSecrets,
          external_secrets_namespace: EXTERNAL_SECRETS_SERVICE_ACCOUNT.namespace,
          external_secrets_service_account: EXTERNAL_SECRETS_SERVICE_ACCOUNT.name,
        });
        expect(secret.stringData).toEqual({
          config: '{"tlsClientConfig":{"insecure":false}}',
          name: b.env.cluster.name,
          server: 'https://kubernetes.default.svc',
        });
        expect(secret.data).toBeUndefined();
        expect(b.outputs.bootstrap).toEqual({ ...b.env.infra!.bootstrap, twingateResource: `${b.env.name} EKS API (${b.env.cluster.name})` });
        expect(b.outputs.bootstrap.twingateResource).toBe(b.one(twingate.TwingateResource, 'api-endpoint').inputs.name);
      }
    });

    it("is what the environment's ApplicationSets in dist/argocd select: every generated Application targets it by name", async () => {
      const tree = realTree();
      const appsets = argoObjects(tree, 'ApplicationSet');
      for (const b of built) {
        const s = b.outputs.argocdClusterSecret;
        const cluster = { name: s.stringData.name, server: s.stringData.server, labels: s.metadata.labels };
        const mine = appsets.filter((a) => generateApplications(a, [cluster], tree, reader(tree)).length > 0);
        // Selected by exactly this environment's ApplicationSets, and only by them.
        expect(
          mine.map((a) => a.metadata.name),
          b.env.name,
        ).toEqual([b.env.name]);
        expect(mine.length, b.env.name).toBeGreaterThan(0);
        // The parents, and the child Applications each parent syncs.
        const parents = mine.flatMap((a) => generateApplications(a, [cluster], tree, reader(tree)));
        const apps = [...parents, ...parents.flatMap((p) => childApplications(p, tree, reader(tree)))];
        expect(apps.length).toBeGreaterThan(parents.length);
        // By name (the Secret's), or an object Argo CD keeps in its own cluster, by the in-cluster server.
        for (const app of apps) expect([s.stringData.name, s.stringData.server]).toContain(app.spec.destination.name ?? app.spec.destination.server);
        expect(apps.some((app) => app.spec.destination.name === b.env.cluster.name)).toBe(true);
        // The same Secret without the environment label is not selected at all.
        const unlabelled = { ...cluster, labels: { ...CLUSTER_SECRET_TYPE } };
        expect(appsets.flatMap((a) => generateApplications(a, [unlabelled], tree, reader(tree)))).toEqual([]);
      }
    });
  });
}
