/**
 * The Helm values the Twingate components hand to Argo CD, checked as data against the
 * upstream charts' values.schema.json (a small JSON-schema subset: type, required, enum,
 * properties, additionalProperties:false, allOf/anyOf/oneOf). The schemas are the pinned
 * upstream copies in ../shared/upstream/helm; the suite is skipped where they are absent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnvironments } from '../../../lib/load';
import { helmSource } from '../../../lib/synth';
import { platformComponent } from '../../../platform/registry';
import { SHARED, skipWithoutShared } from '../../support';
import { generateInput, mustValidate, twingateEnvironments } from '../../support/twingate';

const UPSTREAM = process.env.UPSTREAM_HELM ?? join(SHARED, 'upstream', 'helm');

type Schema = {
  type?: string | string[];
  required?: string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  minLength?: number;
};

const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v);

/** Problems of `value` against `schema`, as `path: message` lines. */
function check(schema: Schema, value: unknown, path = '$'): string[] {
  const problems: string[] = [];
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) problems.push(`${path}: ${t} is not ${types.join('|')}`);
  }
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string' && schema.minLength !== undefined && value.length < schema.minLength)
    problems.push(`${path}: shorter than ${schema.minLength}`);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) problems.push(`${path}: missing ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) problems.push(...check(sub, v, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}: unknown key ${key}`);
    }
  }
  for (const s of schema.allOf ?? []) problems.push(...check(s, value, path));
  if (schema.anyOf && !schema.anyOf.some((s) => check(s, value, path).length === 0)) problems.push(`${path}: matches none of anyOf`);
  if (schema.oneOf && schema.oneOf.filter((s) => check(s, value, path).length === 0).length !== 1)
    problems.push(`${path}: does not match exactly one of oneOf`);
  return problems;
}

const CHARTS = {
  'twingate-operator': 'twingate-operator',
  'twingate-access-gateway': 'gateway',
  'twingate-connector': 'connector',
} as const;

describe.skipIf(skipWithoutShared)('Twingate chart values against the upstream schemas', () => {
  const schemaOf = (chart: string) => JSON.parse(readFileSync(join(UPSTREAM, chart, 'values.schema.json'), 'utf8')) as Schema;

  it('the checker can fail (a value instead of an existing Secret, a typo in a closed object)', async () => {
    const [dev] = await loadEnvironments(undefined, ['dev']);
    const gw = helmSource(dev!, platformComponent('twingate-access-gateway'))!.values as { twingateOperator: Record<string, unknown> };
    expect(check(schemaOf('gateway'), { ...gw, twingateOperator: { ...gw.twingateOperator, gatway: {} } })).toContain('$.twingateOperator: unknown key gatway');
    expect(check(schemaOf('connector'), { connector: { network: 'acme' } }).length).toBeGreaterThan(0);
    expect(check(schemaOf('twingate-operator'), { twingateOperator: { network: 'acme', existingAPIKeySecret: { name: 'x', key: 'y' } } })).toContain(
      '$.twingateOperator: does not match exactly one of oneOf',
    );
  });

  it('real and generated environments produce values the charts accept', async () => {
    const envs = [...(await twingateEnvironments()), ...Array.from({ length: 10 }, (_, i) => mustValidate(generateInput(300 + i)))];
    let connectorChecked = 0;
    for (const env of envs) {
      for (const component of env.components) {
        if (!(component in CHARTS)) continue;
        const helm = helmSource(env, platformComponent(component))!;
        const chart = CHARTS[component as keyof typeof CHARTS];
        expect(helm.chart).toBe(chart);
        expect(check(schemaOf(chart), helm.values), `${env.name}/${component}`).toEqual([]);
        if (component === 'twingate-connector') connectorChecked++;
      }
    }
    expect(connectorChecked).toBeGreaterThan(0);
  });
});
