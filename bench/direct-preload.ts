// The baseline of the login rows: a login's loads and Redis writes done directly from the bench
// process, with the product's loaders under a limiter of the given limits, no Temporal.
import { Loaders } from '../activities/loaders';
import { OriginLimiter } from '../activities/origin-limiter';
import type { WarmingLimits } from '../activities/limits';
import type { LoaderSpec, UserPreloadSpec } from '../core/config-schema';
import { expandTemplate } from '../core/key-template';
import { parseFormsList, pickRecentForms } from '../core/recent-forms';
import type { CacheStore } from '../store/cache-store';

/** Origin latency of each login source, in ms (the bench origin's `?ms=`). */
export interface LoginLatencies {
  session: number;
  navigation: number;
  formsList: number;
  form: number;
}

/** The bench origin's URLs of a login's sources, each answering after its latency. */
export function loginOriginUrls(originUrl: string, lat: LoginLatencies): Record<keyof LoginLatencies, string> {
  return {
    session: `${originUrl}/users/{userId}/session?ms=${lat.session}`,
    navigation: `${originUrl}/users/{userId}/navigation?ms=${lat.navigation}`,
    formsList: `${originUrl}/users/{userId}/forms?ms=${lat.formsList}`,
    form: `${originUrl}/forms/{formId}?ms=${lat.form}`,
  };
}

export interface DirectPreloader {
  preload(userId: string): Promise<void>;
  stop(): Promise<void>;
}

/** Session, navigation and the most recent forms of `preload`, loaded in parallel and written as loaded. */
export function directPreloader(store: CacheStore, preload: UserPreloadSpec, limits: WarmingLimits): DirectPreloader {
  const { session, navigation, forms } = preload;
  if (!session || !navigation || !forms) throw new Error('the direct preload needs session, navigation and forms');
  const limiter = new OriginLimiter(limits);
  const loaders = new Loaders({ limiter, limits });
  const never = new AbortController().signal;
  const load = (spec: LoaderSpec, vars: Record<string, string>) =>
    loaders.load({ spec, vars, signal: never, heartbeat: () => undefined });
  const loadAndWrite = async (
    spec: LoaderSpec,
    keyTemplate: string,
    ttlSeconds: number,
    vars: Record<string, string>,
  ) => {
    const started = Date.now();
    const value = await load(spec, vars);
    await store.writeIfNewer({
      key: expandTemplate(keyTemplate, vars),
      value,
      ttlSeconds,
      version: started,
      durationMs: Date.now() - started,
      source: `user:${vars.userId}`,
      tags: [`user:${vars.userId}`],
    });
  };
  return {
    async preload(userId) {
      await Promise.all([
        loadAndWrite(session.loader, session.key, session.ttlSeconds, { userId }),
        loadAndWrite(navigation.loader, navigation.key, navigation.ttlSeconds, { userId }),
        (async () => {
          const list = await load(forms.list, { userId });
          const ids = pickRecentForms(parseFormsList(JSON.parse(list.toString())), forms.max);
          await Promise.all(
            ids.map((formId) => loadAndWrite(forms.item, forms.key, forms.ttlSeconds, { userId, formId })),
          );
        })(),
      ]);
    },
    stop: () => limiter.stop(),
  };
}
