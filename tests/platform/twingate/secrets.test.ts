/**
 * No secret value anywhere: no Secret with data/stringData in dist/ (committed tree and fresh
 * renders of generated environments), chart values only reference Secrets, and the
 * ExternalSecrets produce exactly the Secrets (and keys) the charts read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../../lib/load';
import { listFiles } from '../../../lib/output';
import { helmSource, synthesize } from '../../../lib/synth';
import { resolveTwingate } from '../../../platform/twingate/settings';
import { connectorValues, twingateConnector } from '../../../platform/twingate-connector';
import { operatorValues, twingateOperator } from '../../../platform/twingate-operator';
import { generateInput, mustValidate, ofKind, renderAll, twingateEnvironments } from '../../support/twingate';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any; data?: unknown; stringData?: unknown };

const secretsWithValues = (objects: readonly Obj[]) => objects.filter((o) => o.kind === 'Secret' && (o.data !== undefined || o.stringData !== undefined));

describe('secrets', () => {
  it('dist/ holds no Secret with data or stringData', () => {
    const dist = join(REPO_ROOT, 'dist');
    const files = listFiles(dist).filter((f) => /\.ya?ml$/.test(f) && !/(^|\/)values\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    const objects = files.flatMap((f) => parseAllDocuments(readFileSync(join(dist, f), 'utf8')).map((d) => d.toJS() as Obj));
    expect(objects.filter((o) => o.kind === 'ExternalSecret').length).toBeGreaterThanOrEqual(4);
    expect(secretsWithValues(objects)).toEqual([]);
  });

  it('fresh renders of generated environments hold none either', () => {
    const envs = Array.from({ length: 10 }, (_, i) => mustValidate(generateInput(200 + i)));
    const objects = synthesize(envs).components.flatMap((c) => c.objects) as Obj[];
    expect(secretsWithValues(objects)).toEqual([]);
  });

  it('chart values reference existing Secrets and never carry a value', async () => {
    for (const env of await twingateEnvironments()) {
      const op = operatorValues(env);
      expect(op.twingateOperator).not.toHaveProperty('apiKey');
      expect(op.twingateOperator).not.toHaveProperty('remoteNetworkId');
      expect(JSON.stringify(helmSource(env, twingateOperator)!.values)).not.toMatch(/apiKey"|accessToken|refreshToken/);
      const objects = renderAll(env) as Obj[];
      const produced = new Map(
        ofKind<Obj>(objects, 'ExternalSecret').map((e) => [e.spec.target.name, (e.spec.data as { secretKey: string }[]).map((d) => d.secretKey)]),
      );
      // The operator reads its key and remote network id from the Secret an ExternalSecret produces.
      for (const ref of [op.twingateOperator.existingAPIKeySecret, op.twingateOperator.existingRemoteNetworkIdSecret]) {
        expect(produced.get(ref.name), `${env.name}: ${ref.name}`).toContain(ref.key);
      }
      if (env.components.includes('twingate-connector')) {
        const cv = connectorValues(env);
        expect(cv.connector).not.toHaveProperty('accessToken');
        expect(cv.connector).not.toHaveProperty('refreshToken');
        expect(JSON.stringify(helmSource(env, twingateConnector)!.values)).not.toMatch(/accessToken|refreshToken/);
        // The chart's Deployment reads both tokens from existingSecret via envFrom.
        expect(produced.get(cv.connector.existingSecret)?.sort()).toEqual(['TWINGATE_ACCESS_TOKEN', 'TWINGATE_REFRESH_TOKEN']);
      }
    }
  });

  it('ExternalSecrets use the one ClusterSecretStore: AWS Secrets Manager, controller identity (Pod Identity), the Twingate namespace only', async () => {
    for (const env of await twingateEnvironments()) {
      const objects = renderAll(env) as Obj[];
      const stores = ofKind<Obj>(objects, 'ClusterSecretStore');
      expect(stores).toHaveLength(1);
      const store = stores[0]!;
      expect(store.spec.provider).toEqual({ aws: { service: 'SecretsManager', region: env.aws.region } });
      // Only the namespaces of components that require external-secrets (Twingate's), never an app's.
      expect(store.spec.conditions).toEqual([{ namespaces: ['twingate'] }]);
      expect(store.metadata.name).toBe(resolveTwingate(env).secrets.store);
      for (const es of ofKind<Obj>(objects, 'ExternalSecret')) {
        expect(es.metadata.namespace).toBe(resolveTwingate(env).namespace);
        expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: store.metadata.name });
        for (const d of es.spec.data as { remoteRef: { key: string } }[]) expect(d.remoteRef.key.startsWith(`zt-eks/${env.name}/twingate/`)).toBe(true);
      }
    }
  });
});
