import { beforeAll, describe, expect, it } from 'vitest';
import { FAKE_OPERATOR_KEY, FAKE_SECRET_MARK, type Built, buildAll, isSecretInput } from './harness';
import { REQUIRED_TAG_KEYS } from '../src/tags';

let built: Built[];
beforeAll(async () => {
  built = await buildAll();
});

describe('buildInfra', () => {
  it('builds every environment', () => {
    expect(built.map((b) => b.env.name)).toEqual(['dev', 'prod', 'staging']);
    for (const b of built) expect(b.resources.length).toBeGreaterThan(50);
  });
});
