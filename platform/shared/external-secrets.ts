/**
 * Secrets through External Secrets: one ClusterSecretStore for AWS Secrets Manager and the
 * ExternalSecrets that materialise the Kubernetes Secrets charts reference by name. No secret
 * value is ever rendered; only secret names and Secrets Manager paths are.
 */
import type { Construct } from 'constructs';
import { ClusterSecretStore, ClusterSecretStoreSpecProviderAwsService } from '../../imports/eso-clustersecretstores-external-secrets.io';
import { ExternalSecret, ExternalSecretSpecSecretStoreRefKind } from '../../imports/eso-externalsecrets-external-secrets.io';
import { COMMON_LABELS } from '../../lib/component';
import { crMetadata, WAVES } from './sync-waves';

/** How often ESO re-reads the store (rotation reaches pods on their next restart). @default "1h" */
const REFRESH_INTERVAL = '1h';

interface SecretStoreProps {
  readonly name: string;
  readonly region: string;
  /** Only ExternalSecrets in these namespaces may use the store. */
  readonly namespaces: readonly string[];
}

/**
 * AWS Secrets Manager with no `auth` block: the ESO controller's own AWS identity is used, which
 * EKS Pod Identity gives its ServiceAccount (infra grants read on the environment's prefix).
 */
export function awsSecretStore(scope: Construct, props: SecretStoreProps): ClusterSecretStore {
  return new ClusterSecretStore(scope, `store-${props.name}`, {
    metadata: crMetadata(props.name, undefined, WAVES.secretStore, { ...COMMON_LABELS }),
    spec: {
      provider: { aws: { service: ClusterSecretStoreSpecProviderAwsService.SECRETS_MANAGER, region: props.region } },
      conditions: [{ namespaces: [...props.namespaces] }],
    },
  });
}

interface ExternalSecretProps {
  /** Name of the ExternalSecret and of the Secret it produces. */
  readonly name: string;
  readonly namespace: string;
  readonly store: string;
  /** Secret key -> where its value lives (`property` for a JSON secret). */
  readonly data: Readonly<Record<string, { path: string; property?: string }>>;
}

export function externalSecret(scope: Construct, props: ExternalSecretProps): ExternalSecret {
  return new ExternalSecret(scope, `external-secret-${props.name}`, {
    metadata: crMetadata(props.name, props.namespace, WAVES.secrets, { ...COMMON_LABELS }),
    spec: {
      refreshInterval: REFRESH_INTERVAL,
      secretStoreRef: { kind: ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE, name: props.store },
      target: { name: props.name },
      data: Object.keys(props.data)
        .sort()
        .map((secretKey) => {
          const ref = props.data[secretKey]!;
          return { secretKey, remoteRef: { key: ref.path, ...(ref.property ? { property: ref.property } : {}) } };
        }),
    },
  });
}
