/**
 * Kubernetes label selectors (metav1.LabelSelector): matchLabels AND every matchExpression.
 * An empty selector matches everything; an absent one is the caller's business (its meaning
 * depends on where it appears).
 */

export type Labels = Readonly<Record<string, string>>;

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

export interface Selector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly Requirement[];
}

export const EVERYTHING: Selector = { matchLabels: {}, matchExpressions: [] };

/** Thrown for a selector the API server would reject; `path` is relative to the selector. */
export class SelectorError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates and normalizes a raw selector object. */
export function parseSelector(raw: unknown): Selector {
  if (raw === null || raw === undefined) return EVERYTHING;
  if (!isRecord(raw)) throw new SelectorError('', 'is not a label selector object');
  const matchLabels: Record<string, string> = {};
  if (raw.matchLabels !== undefined && raw.matchLabels !== null) {
    if (!isRecord(raw.matchLabels)) throw new SelectorError('.matchLabels', 'is not a map of labels');
    for (const [k, v] of Object.entries(raw.matchLabels)) matchLabels[k] = String(v);
  }
  const matchExpressions: Requirement[] = [];
  if (raw.matchExpressions !== undefined && raw.matchExpressions !== null) {
    if (!Array.isArray(raw.matchExpressions)) throw new SelectorError('.matchExpressions', 'is not a list');
    for (const [i, e] of raw.matchExpressions.entries()) {
      const at = `.matchExpressions[${i}]`;
      if (!isRecord(e) || typeof e.key !== 'string') throw new SelectorError(at, 'needs a key');
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      switch (e.operator) {
        case 'In':
        case 'NotIn':
          if (values.length === 0) throw new SelectorError(at, `operator ${e.operator} needs at least one value`);
          break;
        case 'Exists':
        case 'DoesNotExist':
          if (values.length > 0) throw new SelectorError(at, `operator ${e.operator} takes no values`);
          break;
        default:
          throw new SelectorError(`${at}.operator`, `${JSON.stringify(e.operator)} is not one of "In", "NotIn", "Exists", "DoesNotExist"`);
      }
      matchExpressions.push({ key: e.key, operator: e.operator, values });
    }
  }
  return { matchLabels, matchExpressions };
}

export function isEverything(s: Selector): boolean {
  return Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0;
}

export function matches(s: Selector, labels: Labels): boolean {
  for (const k in s.matchLabels) if (labels[k] !== s.matchLabels[k]) return false;
  for (const r of s.matchExpressions) {
    const has = Object.hasOwn(labels, r.key);
    switch (r.operator) {
      case 'In':
        if (!has || !r.values.includes(labels[r.key]!)) return false;
        break;
      case 'NotIn':
        // A pod without the key is "not in" any value set (as in Kubernetes).
        if (has && r.values.includes(labels[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
