// User ids and the `userLoggedIn` payload, checked the same way by the auth service's client (which
// throws) and by the per-user workflow (which logs the reason and drops the signal). Pure.

import { isWellFormedText } from './well-formed-text';

/** Longest accepted user id, in characters. */
export const MAX_USER_ID_LENGTH = 256;

// Whitespace and control characters would make ids ambiguous in keys, URLs and logs.
const FORBIDDEN = /[\s\p{Cc}]/u;

/** Why `userId` is not an acceptable user id, or undefined when it is. */
export function userIdProblem(userId: unknown): string | undefined {
  if (typeof userId !== 'string') return `userId must be a string (got ${typeName(userId)})`;
  if (userId === '') return 'userId must not be empty';
  if (userId.length > MAX_USER_ID_LENGTH) {
    return `userId must be at most ${MAX_USER_ID_LENGTH} characters (got ${userId.length})`;
  }
  if (FORBIDDEN.test(userId)) return 'userId must not contain whitespace or control characters';
  if (!isWellFormedText(userId)) return 'userId must be well-formed Unicode (it has a lone surrogate)';
  return undefined;
}

/**
 * Why a `userLoggedIn` payload is malformed, or undefined when it is well formed: an object with a
 * valid `userId` (equal to `expectedUserId` when given) and optional boolean `force` and
 * `preloadForms`. Other fields are ignored so newer senders stay compatible.
 */
export function userLoggedInProblem(payload: unknown, expectedUserId?: string): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return `payload must be an object like { "userId": "..." } (got ${typeName(payload)})`;
  }
  const { userId, force, preloadForms } = payload as Record<string, unknown>;
  const problem = userIdProblem(userId);
  if (problem) return problem;
  if (expectedUserId !== undefined && userId !== expectedUserId) {
    return "userId does not match this workflow's user";
  }
  if (force !== undefined && typeof force !== 'boolean') return `force must be a boolean (got ${typeName(force)})`;
  if (preloadForms !== undefined && typeof preloadForms !== 'boolean') {
    return `preloadForms must be a boolean (got ${typeName(preloadForms)})`;
  }
  return undefined;
}

/** A `userLoggedIn` payload with its defaults applied: what a handler uses, never the raw payload. */
export interface ParsedLogin {
  userId: string;
  force: boolean;
  preloadForms: boolean;
}

/**
 * Parses a `userLoggedIn` payload once, at the handler: the login with defaults applied, or the
 * problem (one line naming the field). Never throws, whatever the payload.
 */
export function parseUserLoggedIn(
  payload: unknown,
  expectedUserId?: string,
): { login: ParsedLogin; problem?: undefined } | { login?: undefined; problem: string } {
  const problem = userLoggedInProblem(payload, expectedUserId);
  if (problem) return { problem };
  const { userId, force, preloadForms } = payload as Record<string, unknown>;
  return { login: { userId: userId as string, force: force === true, preloadForms: preloadForms !== false } };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
