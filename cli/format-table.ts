// Aligned plain-text tables for warmctl's human output.

/** Renders rows under headers with columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `2026-11-25T10:00:00.000Z` as `10:00:00` when today, else `2026-11-25 10:00`; '-' when absent. */
export function formatTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '-';
  const date = new Date(iso);
  const day = date.toISOString().slice(0, 10);
  if (day === now.toISOString().slice(0, 10)) return date.toISOString().slice(11, 19);
  return `${day} ${date.toISOString().slice(11, 16)}`;
}
