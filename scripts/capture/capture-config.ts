// The warming config the capture applies against the demo origin: six tasks of different kinds, a
// pattern, a user preload with short windows and a fast optimiser.
import type { WarmingConfigInput } from '../../core/config-schema';

/** The user preload, with its navigation source at `navigationPath` (a re-apply points it at a 404). */
export function capturePreload(originUrl: string, navigationPath: string): WarmingConfigInput['userPreload'] {
  const o = originUrl;
  return {
    session: {
      loader: { type: 'http', url: `${o}/users/{userId}/session` },
      key: 'user:{userId}:session',
      ttlSeconds: 1800,
    },
    navigation: {
      loader: { type: 'http', url: `${o}${navigationPath}` },
      key: 'user:{userId}:navigation',
      ttlSeconds: 1800,
    },
    forms: {
      list: { type: 'http', url: `${o}/users/{userId}/forms` },
      item: { type: 'http', url: `${o}/forms/{formId}` },
      key: 'form:{formId}',
      max: 3,
      ttlSeconds: 1800,
    },
    skipIfWarmedWithinMinutes: 0.15,
    idleMinutes: 0.1,
  };
}

/** The config applied first; each task is named after the scenario it drives. */
export function captureConfig(originUrl: string): WarmingConfigInput {
  const o = originUrl;
  return {
    tasks: [
      {
        taskId: 'scheduled',
        cacheKey: 'catalog:categories',
        loader: { type: 'http', url: `${o}/categories` },
        ttlSeconds: 600,
        intervalMinutes: 0.02,
        adaptive: false,
        tags: ['catalog'],
      },
      {
        taskId: 'signals',
        cacheKey: 'flags',
        loader: { type: 'http', url: `${o}/feature-flags` },
        ttlSeconds: 600,
        intervalMinutes: 60,
        tags: ['flags'],
      },
      {
        taskId: 'critical',
        cacheKey: 'catalog:products',
        loader: { type: 'http', url: `${o}/products` },
        ttlSeconds: 600,
        critical: true,
        priority: 100,
        intervalMinutes: 60,
      },
      {
        taskId: 'failing',
        cacheKey: 'product:gone',
        loader: { type: 'http', url: `${o}/products/99999` },
        ttlSeconds: 600,
        intervalMinutes: 60,
      },
      {
        taskId: 'hot',
        cacheKey: 'pages:home',
        loader: { type: 'http', url: `${o}/pages/home` },
        ttlSeconds: 60,
        intervalMinutes: 60,
        adaptive: true,
      },
      {
        taskId: 'removed',
        cacheKey: 'prices',
        loader: { type: 'http', url: `${o}/prices` },
        ttlSeconds: 600,
        intervalMinutes: 60,
      },
    ],
    patterns: [
      {
        match: 'product:{id}',
        loader: { type: 'http', url: `${o}/products/{id}` },
        ttlSeconds: 600,
        tags: ['product'],
      },
    ],
    userPreload: capturePreload(o, '/users/{userId}/navigation'),
    optimizer: { everyMinutes: 0.1, windowMinutes: 1, topN: 20, minAccessFrequency: 0.1, expiringWithinSeconds: 120 },
  };
}
