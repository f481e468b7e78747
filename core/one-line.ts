// One-line messages whatever the input they quote: control and line-separator characters escaped.
// Pure, so the config schema, the clients and the CLI share it.

/** `text` with C0 controls, DEL, U+2028 and U+2029 written as `\uXXXX`: it cannot split a log line. */
export function oneLine(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
