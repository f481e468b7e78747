// One-line messages whatever the input they quote: control and line-separator characters escaped.
// Pure, so the config schema, the clients and the CLI share it.

/**
 * `text` with C0 controls escaped as JSON writes them (`\n`, `\t`, `\u0000`), and DEL, the C1
 * controls (NEL among them), U+2028 and U+2029 (which JSON leaves raw) as `\uXXXX`: it cannot
 * split a log line.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c < ' ' ? JSON.stringify(c).slice(1, -1) : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The message of whatever was thrown: an Error's message, anything else as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
