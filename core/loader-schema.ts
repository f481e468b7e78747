// The `loader` of a task, pattern or user source as a zod schema (the built-in HTTP GET or a named
// function), and its one-line description; a new loader type is declared here.
import { z } from 'zod';
import { templateProblem } from './key-template';
import { redact } from './redact';

const LOADER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Checks a URL template: only `allowed` placeholders, and an http(s) URL once they are filled in. */
function urlTemplate(allowed: readonly string[]) {
  return z
    .string()
    .min(1)
    .max(2048)
    .superRefine((url, ctx) => {
      const problem = templateProblem(url, allowed);
      if (problem) return void ctx.addIssue({ code: 'custom', message: `url ${problem}` });
      let parsed: URL;
      try {
        parsed = new URL(url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'));
      } catch {
        return void ctx.addIssue({ code: 'custom', message: `"${redact(url)}" is not a valid URL` });
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `url must be http or https, got ${parsed.protocol}` });
      }
      if (parsed.username || parsed.password) {
        ctx.addIssue({ code: 'custom', message: 'url must not embed credentials; use headers' });
      }
      // A value may choose a path or query, never the server. Compared through the URL parser, not
      // by slicing text: `http:///{id}/x` puts the placeholder in the host once parsed.
      if (parsed.host !== new URL(url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'y')).host) {
        ctx.addIssue({
          code: 'custom',
          message: 'url placeholders are allowed in the path and query only, not the host',
        });
      }
    });
}

/**
 * A header value: the value itself (carried in workflow history with the task), or
 * `{ "env": "NAME" }`, read from the worker's environment at each load, so the secret stays out
 * of history.
 */
const headerValue = z.union(
  [
    z.string().max(8192),
    z.strictObject({
      env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must name an environment variable: letters, digits and _'),
    }),
  ],
  {
    error:
      'must be a string of at most 8192 characters, or { "env": "NAME" } naming an environment variable of the worker',
  },
);

/** A header's value as written in the config: the value, or the worker's environment variable holding it. */
export type HeaderValue = z.infer<typeof headerValue>;

/** A loader: the built-in HTTP GET, or a named function registered in the worker. */
export function loaderSchema(allowedPlaceholders: readonly string[]) {
  return z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('http'),
      url: urlTemplate(allowedPlaceholders),
      headers: z
        .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are letters, digits and -'), headerValue)
        .optional(),
      /** Per-request timeout; default 30. */
      timeoutSeconds: z.number().positive().max(600).optional(),
    }),
    z.strictObject({
      type: z.literal('custom'),
      name: z.string().regex(LOADER_NAME, 'loader name must be an identifier such as "loadCatalog"'),
      args: z.record(z.string(), z.unknown()).optional(),
      timeoutSeconds: z.number().positive().max(600).optional(),
    }),
  ]);
}

/** A parsed `loader`: `{ type: 'http', url, ... }` or `{ type: 'custom', name, args? }`. */
export type LoaderSpec = z.infer<ReturnType<typeof loaderSchema>>;

/**
 * A loader in one line, as a task's workflow shows it in the Temporal UI: the URL for HTTP (secret
 * query values redacted), `custom <name>` for a registered function. Next to the schema so a new
 * loader type is described where it is declared (the switch fails to compile until it is).
 */
export function describeLoader(spec: LoaderSpec): string {
  switch (spec.type) {
    case 'http':
      return redact(spec.url);
    case 'custom':
      return `custom ${spec.name}`;
  }
}
