// The stable part of a replay failure's message: the nondeterminism Temporal found (which command
// against which event), without the wrapping that differs between SDK calls.

/** `[TMPRL1100] Nondeterminism error: ...` out of a replay error message, or the first line of it. */
export function nondeterminismSignature(message: string): string {
  const match = /\[TMPRL1100\] Nondeterminism error: (.*?)(?:", source:|$)/s.exec(message);
  return (match?.[1] ?? message.split('\n')[0] ?? message).replace(/\\'/g, "'").trim();
}
