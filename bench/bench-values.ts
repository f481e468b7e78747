// The values the bench origin serves, so the write-floor loop can write the very same bytes
// without loading them. Pure and deterministic.

/** Size of every item value, in bytes: a typical small JSON document (a product, a profile). */
export const ITEM_VALUE_BYTES = 512;

/** The value of item `id`: a JSON document of exactly ITEM_VALUE_BYTES bytes. */
export function itemValue(id: number | string): string {
  const head = `{"id":"${id}","name":"Item ${id}","cents":${(Number(id) * 131) % 9000 || 499},"pad":"`;
  const tail = '"}';
  const padding = Math.max(0, ITEM_VALUE_BYTES - head.length - tail.length);
  return head + 'x'.repeat(padding) + tail;
}

/** How many forms the bench origin lists per user (the preload keeps the 5 most recent). */
export const FORMS_PER_USER = 8;

/** The forms list of a user: ids `<userId>-f<i>`, newest last, as the origin serves it. */
export function formsList(userId: string): { id: string; updatedAt: string }[] {
  return Array.from({ length: FORMS_PER_USER }, (_, i) => ({
    id: `${userId}-f${i}`,
    updatedAt: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(),
  }));
}

/** The form ids a preload of `max` forms must write: the most recent ones. */
export function expectedFormIds(userId: string, max: number): string[] {
  return formsList(userId)
    .slice()
    .reverse()
    .slice(0, max)
    .map((form) => form.id);
}
