/**
 * Secrets through External Secrets: the ClusterSecretStore for AWS Secrets Manager (rendered by
 * the external-secrets component, the provider of stores) and the ExternalSecrets consumers
 * render to materialise the Kubernetes Secrets their charts reference by name. No secret value
 * is ever rendered; only secret names and Secrets Manager paths are.
 */
import type { Construct } from 'constructs';
import { ClusterSecretStore, ClusterSecretStoreSpecProviderAwsService } from '../../imports/eso-clustersecretstores-external-secrets.io';
import { ExternalSecret, ExternalSecretSpecSecretStoreRefKind } from '../../imports/eso-externalsecrets-external-secrets.io';
import { COMMON_LABELS } from '../../lib/component';
import { crMetadata, WAVES } from './sync-waves';

/**
 * The External Secrets controller's namespace and ServiceAccount: the chart installs it there
 * (platform/external-secrets), and infra's EKS Pod Identity association gives exactly this
 * ServiceAccount read access to the environment's secrets. One constant for both sides.
 */
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = { namespace: 'external-secrets', name: 'external-secrets' } as const;

/** The ClusterSecretStore for the environment's AWS Secrets Manager (the default of `twingate.secrets.store`). */
export const AWS_SECRET_STORE = 'aws-secrets-manager';

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
    metadata: crMetadata(props.name, undefined, WAVES.providedStore, { ...COMMON_LABELS }),
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
