// A task spec's fingerprint: the same for equal specs whatever their key order, so `warmctl apply`
// can tell an unchanged task without asking its workflow.
import { createHash } from 'node:crypto';
import type { TaskSpec } from '../core/config-schema';

/** Hex SHA-256 of the spec's canonical JSON (object keys sorted at every level). */
export function specHash(spec: TaskSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 32);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
