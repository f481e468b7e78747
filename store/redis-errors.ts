// Classifying Redis replies: stray data under the system's prefix shows up as WRONGTYPE.

/** Whether `err` is Redis's WRONGTYPE reply: the key holds another type than the command needs. */
export function isWrongType(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('WRONGTYPE');
}

/**
 * Runs `write`; when `key` holds stray data of another type (WRONGTYPE), deletes the key and runs
 * `write` once more. For keys under the system's prefix, which are the system's to rebuild.
 */
export async function writeOverWrongType<T>(
  redis: { del(key: string): Promise<number> },
  key: string,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isWrongType(err)) throw err;
    await redis.del(key);
    return write();
  }
}
