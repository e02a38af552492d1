/**
 * Tags every AWS resource carries. They are passed explicitly to each resource rather than
 * through the provider's `defaultTags`: explicit tags are visible to the mock-based tests (the
 * provider merge happens in the engine, which the tests do not run) and show up in previews.
 */
import type { Environment } from '../../lib/environment';
import type { InfraSettings } from '../../lib/environment-infra';

export type Tags = Readonly<Record<string, string>>;

/** The tag keys every taggable resource must carry. */
export const REQUIRED_TAG_KEYS = ['environment', 'owner', 'managed-by'] as const;

export function baseTags(env: Pick<Environment, 'name'>, infra: Pick<InfraSettings, 'owner'>): Tags {
  return { environment: env.name, owner: infra.owner, 'managed-by': 'pulumi' };
}
