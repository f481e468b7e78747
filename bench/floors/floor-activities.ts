// The floor shapes' loads: what the product's preload and warm load and write, done the plainest
// way (fetch, JSON.parse, SET EX), so a floor row measures Temporal's shape and nothing else.
import type { Redis } from 'ioredis';

/** URL templates of the login sources ({userId}, {formId}), with the bench origin's latencies. */
export interface FloorLoginUrls {
  session: string;
  navigation: string;
  formsList: string;
  form: string;
}

const TTL_SECONDS = 1800;
const FORMS_MAX = 5;

export function createFloorActivities(redis: Redis, urls: FloorLoginUrls) {
  const load = async (url: string) => (await fetch(url)).text();
  const fill = (template: string, vars: Record<string, string>) =>
    template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(vars[name] ?? ''));
  return {
    async floorPreload(userId: string): Promise<void> {
      const write = (key: string, value: string) => redis.set(key, value, 'EX', TTL_SECONDS);
      await Promise.all([
        load(fill(urls.session, { userId })).then((value) => write(`user:${userId}:session`, value)),
        load(fill(urls.navigation, { userId })).then((value) => write(`user:${userId}:navigation`, value)),
        (async () => {
          const list = JSON.parse(await load(fill(urls.formsList, { userId }))) as { id: string; updatedAt: string }[];
          const recent = list.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, FORMS_MAX);
          await Promise.all(
            recent.map(async ({ id }) => write(`form:${id}`, await load(fill(urls.form, { userId, formId: id })))),
          );
        })(),
      ]);
    },
    async floorWarm(key: string, url: string): Promise<void> {
      await redis.set(key, await load(url), 'EX', 3600);
    },
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
