/**
 * The Argo CD cluster Secret infra builds: named after the cluster, labelled with whatever
 * argocd/config.ts says the ApplicationSets select on, annotated with the infra facts, and
 * without any credential.
 */
import { describe, expect, it } from 'vitest';
import { IN_CLUSTER } from '../../argocd/bootstrap';
import { CLUSTER_SECRET_TYPE, clusterSecret } from '../../argocd/cluster-secret';
import { argoConfigSchema } from '../../argocd/settings';

const facts = {
  environment: 'staging',
  clusterName: 'staging-eu',
  accountId: '111122223333',
  region: 'eu-west-2',
  vpcId: 'vpc-0fake',
  externalSecrets: { namespace: 'eso', serviceAccount: 'eso-controller', roleArn: 'arn:aws:iam::111122223333:role/staging-external-secrets' },
};

describe('clusterSecret', () => {
  it('takes namespace and cluster label from the Argo CD config, name and annotations from the facts', () => {
    const config = argoConfigSchema.parse({
      repoURL: 'https://git.example.com/o/r.git',
      targetRevision: 'main',
      namespace: 'gitops',
      clusterLabel: 'acme.io/env',
    });
    const s = clusterSecret(config, facts);
    expect(s).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'staging-eu',
        namespace: 'gitops',
        labels: { 'argocd.argoproj.io/secret-type': 'cluster', 'acme.io/env': 'staging' },
        annotations: {
          aws_account_id: '111122223333',
          aws_cluster_name: 'staging-eu',
          aws_region: 'eu-west-2',
          aws_vpc_id: 'vpc-0fake',
          external_secrets_iam_role_arn: 'arn:aws:iam::111122223333:role/staging-external-secrets',
          external_secrets_namespace: 'eso',
          external_secrets_service_account: 'eso-controller',
        },
      },
      stringData: { config: '{"tlsClientConfig":{"insecure":false}}', name: 'staging-eu', server: IN_CLUSTER },
      type: 'Opaque',
    });
    expect(s.metadata.labels).toMatchObject(CLUSTER_SECRET_TYPE);
  });

  it('carries no credential: in-cluster, Argo CD uses its ServiceAccount', () => {
    const s = clusterSecret(argoConfigSchema.parse({ repoURL: 'https://git.example.com/o/r.git', targetRevision: 'main' }), facts);
    expect(Object.keys(JSON.parse(s.stringData.config))).toEqual(['tlsClientConfig']);
    expect(s).not.toHaveProperty('data');
    // Defaults of argocd/settings.ts.
    expect(s.metadata.namespace).toBe('argocd');
    expect(s.metadata.labels).toHaveProperty(['zt-eks-gitops/environment'], 'staging');
  });

  it('writes keys sorted, so the output is the same bytes every time', () => {
    const s = clusterSecret(argoConfigSchema.parse({ repoURL: 'https://git.example.com/o/r.git', targetRevision: 'main' }), facts);
    const sorted = (o: object) => expect(Object.keys(o)).toEqual(Object.keys(o).sort());
    for (const o of [s, s.metadata, s.metadata.labels, s.metadata.annotations, s.stringData]) sorted(o);
  });
});
