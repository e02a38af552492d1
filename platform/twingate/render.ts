/** Rendering pieces the Twingate components share. */
import type { Construct } from 'constructs';
import { TwingateResourceAccess, TwingateResourceAccessSpecPrincipalExternalRefType } from '../../imports/twingate-resourceaccess-twingate.com';
import { COMMON_LABELS } from '../../lib/component';
import { crMetadata, WAVES } from '../shared/sync-waves';
import type { PlannedAccess } from './access';

/** Labels of every object the Twingate components render. */
export const labels = { ...COMMON_LABELS, 'app.kubernetes.io/part-of': 'twingate' };

export interface ResourceRequirements {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** A TwingateResourceAccess: `groupRef` for groups we create, `principalExternalRef` for groups that already exist. */
export function renderAccess(scope: Construct, a: PlannedAccess, namespace: string): TwingateResourceAccess {
  return new TwingateResourceAccess(scope, `access-${a.name}`, {
    metadata: crMetadata(a.name, namespace, WAVES.twingate, labels),
    spec: {
      resourceRef: { name: a.resource, namespace },
      ...(a.group.kind === 'managed'
        ? { groupRef: { name: a.group.slug, namespace } }
        : { principalExternalRef: { type: TwingateResourceAccessSpecPrincipalExternalRefType.GROUP, name: a.group.group } }),
    },
  });
}
