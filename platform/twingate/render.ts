/** Rendering pieces the Twingate components share. */
import type { Construct } from 'constructs';
import { TwingateResourceAccess, TwingateResourceAccessSpecPrincipalExternalRefType } from '../../imports/twingate-resourceaccess-twingate.com';
import { COMMON_LABELS, EPHEMERAL_STORAGE, type ScoreException } from '../../lib/component';
import { crMetadata, WAVES } from '../shared/sync-waves';
import type { PlannedAccess } from './access';

/** Labels of every object the Twingate components render. */
export const labels = { ...COMMON_LABELS, 'app.kubernetes.io/part-of': 'twingate' };

export interface ResourceRequirements {
  readonly requests: { readonly cpu: string; readonly memory: string; readonly 'ephemeral-storage': string };
  readonly limits: { readonly cpu: string; readonly memory: string; readonly 'ephemeral-storage': string };
}

/** CPU and memory with the platform's ephemeral-storage request and limit (kube-score's container-ephemeral-storage-request-and-limit). */
export function withEphemeralStorage(r: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } }): ResourceRequirements {
  return {
    requests: { ...r.requests, 'ephemeral-storage': EPHEMERAL_STORAGE.request },
    limits: { ...r.limits, 'ephemeral-storage': EPHEMERAL_STORAGE.limit },
  };
}

/** Upstream Twingate images run as UID 1000 with no group set; the charts pin it. */
export const UPSTREAM_USER_ID: ScoreException = {
  check: 'container-security-context-user-group-id',
  reason: 'the upstream chart pins runAsUser 1000, the user its image is built for (non-root, no privilege escalation, all capabilities dropped)',
  kinds: ['Deployment'],
};

/** A TwingateResourceAccess: `groupRef` for groups we create, `principalExternalRef` for groups that already exist. */
export function renderAccess(scope: Construct, a: PlannedAccess, namespace: string): TwingateResourceAccess {
  return new TwingateResourceAccess(scope, `access-${a.name}`, {
    metadata: crMetadata(a.name, namespace, WAVES.twingate, labels),
    spec: {
      resourceRef: { name: a.resource, namespace },
      ...(a.group.kind === 'managed'
        ? { groupRef: { name: a.group.slug, namespace } }
        : { principalExternalRef: { type: TwingateResourceAccessSpecPrincipalExternalRefType.GROUP, name: a.group.twingateName } }),
    },
  });
}
