// The user-preload section the login tests apply: each source read from the test origin's
// /users/{userId}/... routes, every key under the file's own namespace.

/** A user-preload section over `originUrl`, keys under `ns`; `withForms` adds the forms source. */
export function httpUserPreload(
  originUrl: string,
  ns: string,
  options: { ttlSeconds?: number; withForms?: boolean } = {},
) {
  const ttlSeconds = options.ttlSeconds ?? 600;
  return {
    session: {
      loader: { type: 'http' as const, url: `${originUrl}/users/{userId}/session` },
      key: `${ns}:user:{userId}:session`,
      ttlSeconds,
    },
    navigation: {
      loader: { type: 'http' as const, url: `${originUrl}/users/{userId}/navigation` },
      key: `${ns}:user:{userId}:navigation`,
      ttlSeconds,
    },
    ...(options.withForms
      ? {
          forms: {
            list: { type: 'http' as const, url: `${originUrl}/users/{userId}/forms` },
            item: { type: 'http' as const, url: `${originUrl}/forms/{formId}` },
            key: `${ns}:form:{formId}`,
            ttlSeconds: 600,
          },
        }
      : {}),
  };
}
