// Secrets out of everything the system prints or records: the one helper every error, log line,
// status, report and display text goes through before it leaves the process. Pure, so every layer may use it.

/** What a redacted secret is replaced by. */
export const REDACTED = '***';

/**
 * Query and fragment parameters whose values are redacted, compared after lower-casing and
 * removing `-`, `_`, `.`, spaces and brackets (so `api_key`, `API-Key` and `apiKey` are one name):
 * a name that contains one of `contains`, or is exactly one of `exact`. Covers bearer and OAuth
 * tokens (`token`, `access_token`, `refresh_token`, `id_token`), API keys (`key`, `api_key`,
 * `apikey`, `x-api-key`), passwords, secrets, signed URLs (AWS `X-Amz-Signature`,
 * `X-Amz-Credential`, `X-Amz-Security-Token`, GCS `X-Goog-Signature`, Azure SAS `sig`) and
 * session ids. Redacting a harmless value is the cheaper mistake, so the `contains` words are broad.
 */
export const SECRET_PARAMETER_NAMES = {
  contains: [
    'token',
    'secret',
    'password',
    'passwd',
    'passphrase',
    'signature',
    'apikey',
    'accesskey',
    'privatekey',
    'credential',
    'sessionid',
  ],
  exact: ['key', 'sig', 'sign', 'auth', 'authorization', 'pass', 'pwd', 'jwt', 'session', 'sid'],
} as const;

/** Whether a query parameter of this name carries a secret (see SECRET_PARAMETER_NAMES). */
export function isSecretParameter(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    // Malformed percent-encoding: judge the raw name.
  }
  const normalized = decoded.toLowerCase().replace(/[-_.\s[\]]/g, '');
  return (
    SECRET_PARAMETER_NAMES.contains.some((word) => normalized.includes(word)) ||
    (SECRET_PARAMETER_NAMES.exact as readonly string[]).includes(normalized)
  );
}

/** A URL (`scheme://...`) anywhere in a text, up to whitespace, a quote or an angle bracket. */
const URL_IN_TEXT = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>`]*/g;
/** Where a second URL starts inside one match: a comma list of seed URLs (`redis://:pw@h1,redis://:pw@h2`). */
const NEXT_URL = /,(?=[A-Za-z][A-Za-z0-9+.-]*:\/\/)/;
/**
 * Credentials with spaces in them (a mistyped `redis://:my pass@host`), which end a URL_IN_TEXT
 * match before its `@`: everything from `//` to the first `@` with no `/`, quote or line break between.
 */
const SPACED_USERINFO = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#"'<>`\r\n\t@]{0,128} [^/?#"'<>`\r\n\t@]{0,128}@/g;
/** `name=value` after `?`, `&`, `;` or `#` (OAuth puts tokens in the fragment). */
const PARAMETER = /([?&;#])([^=&;#\s]*)=([^&;#\s]*)/g;

/**
 * `text` with every URL's credentials (`user:password@`, or a lone `token@`, become `***@`) and the
 * values of secret query parameters (`?token=***`) redacted. Works on malformed URLs and on comma
 * lists of Redis seed nodes too, since what needs redacting most is what failed to parse.
 */
export function redact(text: string): string {
  return text
    .replace(SPACED_USERINFO, `$1${REDACTED}@`)
    .replace(URL_IN_TEXT, (match) => match.split(NEXT_URL).map(redactOneUrl).join(','));
}

function redactOneUrl(url: string): string {
  const start = url.indexOf('//') + 2;
  const rest = url.slice(start);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  // A seed list's later nodes may carry credentials of their own (`redis://:pw@h1,:pw@h2`).
  const hosts = authority
    .split(',')
    .map((node) => {
      const at = node.lastIndexOf('@');
      return at < 0 ? node : `${REDACTED}${node.slice(at)}`;
    })
    .join(',');
  const params = tail.replace(PARAMETER, (whole, separator: string, name: string) =>
    isSecretParameter(name) ? `${separator}${name}=${REDACTED}` : whole,
  );
  return `${url.slice(0, start)}${hosts}${params}`;
}

/**
 * `err` with its message and stack (and those of its causes) redacted in place, for errors that
 * leave the process: a custom loader's error becomes an activity failure in workflow history.
 * Returns `err` itself, so `throw redactError(err)` keeps its class and fields.
 */
export function redactError<T>(err: T): T {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    current.message = redact(current.message);
    if (typeof current.stack === 'string') current.stack = redact(current.stack);
    current = (current as Error & { cause?: unknown }).cause;
  }
  return err;
}
