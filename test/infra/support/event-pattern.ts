/**
 * EventBridge's matching, for the subset of the pattern syntax the rules use: lists of values (an event
 * array matches if any element does), `prefix`, `exists`, nested objects, and `$or`. Enough to check that a
 * real payload reaches the rule it should, and no other.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
type Json = unknown;

function matchesValue(condition: Json, value: Json, present: boolean): boolean {
  if (condition !== null && typeof condition === 'object') {
    const c = condition as Record<string, Json>;
    if ('prefix' in c) return typeof value === 'string' && value.startsWith(String(c.prefix));
    if ('exists' in c) return c.exists === present;
    throw new Error(`unsupported pattern operator ${JSON.stringify(condition)}`);
  }
  return present && condition === value;
}

export function matchesPattern(pattern: Record<string, Json>, event: Json): boolean {
  if (event === null || typeof event !== 'object') return false;
  const e = event as Record<string, Json>;
  return Object.entries(pattern).every(([key, condition]) => {
    if (key === '$or') return (condition as Record<string, Json>[]).some((p) => matchesPattern(p, event));
    const present = Object.hasOwn(e, key);
    const value = e[key];
    if (Array.isArray(condition)) {
      const values = Array.isArray(value) ? value : [value];
      return condition.some((c) => values.some((v) => matchesValue(c, v, present)));
    }
    return present && matchesPattern(condition as Record<string, Json>, value);
  });
}

/** The AWS docs' Capacity Block samples spell `detail_type`; EventBridge sends `detail-type`. */
export function asDelivered(event: Record<string, Json>): Record<string, Json> {
  if ('detail_type' in event && !('detail-type' in event)) {
    const { detail_type, ...rest } = event;
    return { ...rest, 'detail-type': detail_type };
  }
  return event;
}
