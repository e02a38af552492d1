import { describe, expect, it } from 'vitest';
import { EVERYTHING, matches, parseSelector } from '../../analysis/selectors';

describe('label selectors', () => {
  it('empty and absent selectors match everything', () => {
    expect(parseSelector({})).toEqual(EVERYTHING);
    expect(parseSelector(undefined)).toEqual(EVERYTHING);
    expect(matches(EVERYTHING, {})).toBe(true);
  });

  it('matchLabels and matchExpressions are ANDed', () => {
    const s = parseSelector({ matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] });
    expect(matches(s, { app: 'a', tier: 'web' })).toBe(true);
    expect(matches(s, { app: 'a', tier: 'db' })).toBe(false);
    expect(matches(s, { app: 'b', tier: 'web' })).toBe(false);
    expect(matches(s, { app: 'a' })).toBe(false);
  });

  it.each([
    ['NotIn', { tier: 'db' }, false],
    ['NotIn', {}, true],
    ['Exists', { tier: 'x' }, true],
    ['Exists', {}, false],
    ['DoesNotExist', {}, true],
    ['DoesNotExist', { tier: 'x' }, false],
  ] as const)('%s on %j is %s', (operator, labels, expected) => {
    const values = operator === 'NotIn' ? ['db'] : undefined;
    expect(matches(parseSelector({ matchExpressions: [{ key: 'tier', operator, ...(values ? { values } : {}) }] }), labels)).toBe(expected);
  });

  it.each([
    [{ matchExpressions: [{ key: 'k', operator: 'In' }] }, '.matchExpressions[0]', 'operator In needs at least one value'],
    [{ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['v'] }] }, '.matchExpressions[0]', 'operator Exists takes no values'],
    [
      { matchExpressions: [{ key: 'k', operator: 'Gt', values: ['1'] }] },
      '.matchExpressions[0].operator',
      '"Gt" is not one of "In", "NotIn", "Exists", "DoesNotExist"',
    ],
    [{ matchLabels: ['a'] }, '.matchLabels', 'is not a map of labels'],
  ])('rejects %j', (raw, path, message) => {
    expect(() => parseSelector(raw)).toThrow(expect.objectContaining({ path, message }));
  });
});
