// Classifying Redis replies: stray data under the system's prefix shows up as WRONGTYPE.

/** Whether `err` is Redis's WRONGTYPE reply: the key holds another type than the command needs. */
export function isWrongType(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('WRONGTYPE');
}
