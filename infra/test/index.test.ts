/**
 * The Pulumi entry point: the stack name picks the environment file, the operator key comes
 * from encrypted stack configuration, and the stack outputs are buildInfra's.
 */
// First: installs the Pulumi mocks (stack "dev", config set) before the program's modules load.

import * as aws from '@pulumi/aws';
import { describe, expect, it } from 'vitest';
import { FAKE_OPERATOR_KEY, FAKE_SECRET_MARK, resolveDeep, settle, typeToken } from './harness';
import { recorded } from './mocks';

describe('src/index.ts', () => {
  it('builds the environment named like the stack, the operator key from config, no secret in its outputs', async () => {
    // `export =` arrives as the default export of a dynamic import.
    const mod: unknown = await import('../src/index.js');
    const exported = (mod as { default?: unknown }).default ?? mod;
    const secrets: string[] = [];
    const outputs = (await resolveDeep(await exported, '', secrets)) as { environment: string; cluster: { name: string } };
    expect(outputs.environment).toBe('dev');
    expect(outputs.cluster.name).toBe('dev-eu');
    expect(secrets).toEqual([]);
    expect(JSON.stringify(outputs)).not.toContain(FAKE_SECRET_MARK);
    await settle();
    const apiKey = recorded.find((r) => r.type === typeToken(aws.secretsmanager.SecretVersion) && r.name === 'twingate-api-key');
    expect(apiKey?.inputs.secretString.value).toBe(FAKE_OPERATOR_KEY);
  });
});
