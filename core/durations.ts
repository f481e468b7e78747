// Durations are strings like '30s' at the edges and milliseconds inside; this converts once.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `500ms`, `30s`, `15m`, `2h`, `7d`, `1w` (or a combination such as `1h30m`) into milliseconds. */
export function parseDurationMs(text: string): number {
  const trimmed = text.trim();
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/.test(trimmed)
    ? trimmed.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d|w)/g)
    : null;
  if (!parts) throw new Error(`"${text}" is not a duration (examples: 30s, 15m, 2h, 7d)`);
  let total = 0;
  for (const part of parts) {
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(part) as RegExpExecArray;
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  }
  if (total <= 0) throw new Error(`"${text}" must be longer than zero`);
  return total;
}

/** Formats milliseconds for people: `850ms`, `12.4s`, `3m 20s`, `2h 5m`. */
export function formatDurationMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m ${Math.round((ms % 60_000) / 1_000)}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
