// Building blocks for hand-built inline SVG charts: escaping, scales with readable ticks, axes and
// frames. Pure string building, so the report needs no charting library, no script and no network.

/** Escapes text for HTML and SVG content and for double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A tick: where it is in data units and what it says. */
export interface Tick {
  value: number;
  label: string;
}

/** Maps data values onto pixels, with the ticks to draw. */
export interface Scale {
  map(value: number): number;
  ticks: Tick[];
}

/** The plot area inside a chart's viewBox. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function plotFrame(
  width: number,
  height: number,
  margins: Partial<Omit<Frame, 'width' | 'height'>> = {},
): Frame {
  return { width, height, left: 64, right: 20, top: 14, bottom: 44, ...margins };
}

/** Pixel range of the plot area along x and y (y grows downwards, so bottom first). */
export function xRange(frame: Frame): [number, number] {
  return [frame.left, frame.width - frame.right];
}

export function yRange(frame: Frame): [number, number] {
  return [frame.height - frame.bottom, frame.top];
}

function linearMap(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (value) => round2(r0 + ((value - d0) / span) * (r1 - r0));
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];

/**
 * A time axis (ms since epoch) with ticks on round UTC times, at most about `maxTicks`. The domain
 * is padded a little so marks at its ends are not cut by the frame, and a very short one is
 * widened to two seconds around its middle (so a single point sits in the middle).
 */
export function timeScale(domain: [number, number], range: [number, number], maxTicks = 7): Scale {
  let [start, end] = domain;
  if (end - start < 2 * SECOND) {
    const middle = (start + end) / 2;
    start = middle - SECOND;
    end = middle + SECOND;
  }
  const pad = (end - start) * 0.03;
  start -= pad;
  end += pad;
  const span = end - start;
  const step = TIME_STEPS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / DAY) * DAY;
  const ticks: Tick[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step)
    ticks.push({ value: t, label: timeLabel(t, step, span) });
  return { map: linearMap([start, end], range), ticks };
}

function timeLabel(ms: number, step: number, span: number): string {
  const iso = new Date(ms).toISOString();
  if (step >= DAY) return iso.slice(5, 10);
  if (span >= DAY) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return step < MINUTE ? iso.slice(11, 19) : iso.slice(11, 16);
}

/** Round durations (ms) that make good tick labels, finest first. */
const DURATION_TICKS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  20 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
  DAY,
];
/** The coarse subset used when the domain spans many decades. */
const DECADE_TICKS = [1, 10, 100, SECOND, 10 * SECOND, MINUTE, 10 * MINUTE, HOUR, DAY];

/**
 * A log10 axis for durations in ms (values below 1 ms sit at 1 ms), padded a little beyond the
 * data and at least one decade tall, with ticks on round durations (1s, 1m rather than 1.67m).
 */
export function logMsScale(domain: [number, number], range: [number, number]): Scale {
  let low = Math.log10(Math.max(1, domain[0])) - 0.15;
  let high = Math.log10(Math.max(1, domain[1])) + 0.15;
  if (high - low < 1) {
    const middle = (low + high) / 2;
    low = middle - 0.5;
    high = middle + 0.5;
  }
  low = Math.max(0, low);
  const inside = (values: number[]) => values.filter((v) => Math.log10(v) >= low && Math.log10(v) <= high);
  const ticks = (high - low > 2.5 ? inside(DECADE_TICKS) : inside(DURATION_TICKS)).map((value) => ({
    value,
    label: msLabel(value),
  }));
  const map = linearMap([low, high], range);
  return { map: (value) => map(Math.log10(Math.max(1, value))), ticks };
}

/** `5ms`, `200ms`, `2s`, `1.5m`, `2h`: short labels for duration ticks. */
export function msLabel(ms: number): string {
  if (ms < SECOND) return `${round2(ms)}ms`;
  if (ms < MINUTE) return `${round2(ms / SECOND)}s`;
  if (ms < HOUR) return `${round2(ms / MINUTE)}m`;
  return `${round2(ms / HOUR)}h`;
}

/** A linear axis from 0 to a round number at or above `max`, with about five ticks. */
export function linearScale(max: number, range: [number, number], format: (value: number) => string = String): Scale {
  const top = max > 0 ? max : 1;
  const rough = top / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude;
  const niceMax = Math.ceil(top / step) * step;
  const ticks: Tick[] = [];
  for (let v = 0; v <= niceMax + step / 1e6; v += step) ticks.push({ value: round2(v), label: format(round2(v)) });
  return { map: linearMap([0, niceMax], range), ticks };
}

/** Grid lines, tick labels and axis titles for an x/y plot. */
export function axes(frame: Frame, x: Scale, y: Scale, titles: { x?: string; y?: string } = {}): string {
  const [x0, x1] = xRange(frame);
  const [y0, y1] = yRange(frame);
  const parts: string[] = [];
  for (const tick of y.ticks) {
    const py = y.map(tick.value);
    parts.push(
      `<line class="grid" x1="${x0}" x2="${x1}" y1="${py}" y2="${py}"/>`,
      `<text class="tick" x="${x0 - 6}" y="${round2(py + 4)}" text-anchor="end">${escapeHtml(tick.label)}</text>`,
    );
  }
  for (const tick of x.ticks) {
    const px = x.map(tick.value);
    parts.push(
      `<line class="tick-mark" x1="${px}" x2="${px}" y1="${y0}" y2="${round2(y0 + 4)}"/>`,
      `<text class="tick" x="${px}" y="${round2(y0 + 17)}" text-anchor="middle">${escapeHtml(tick.label)}</text>`,
    );
  }
  parts.push(`<line class="axis" x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}"/>`);
  parts.push(`<line class="axis" x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}"/>`);
  if (titles.x)
    parts.push(
      `<text class="axis-title" x="${x1}" y="${frame.height - 4}" text-anchor="end">${escapeHtml(titles.x)}</text>`,
    );
  if (titles.y)
    parts.push(
      `<text class="axis-title" x="14" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(y0 + y1) / 2})">${escapeHtml(titles.y)}</text>`,
    );
  return `<g class="axes">${parts.join('')}</g>`;
}

/** An `<svg>` chart element: scalable, labelled for screen readers, with its own id. */
export function svg(id: string, frame: Frame, label: string, body: string): string {
  return (
    `<svg class="chart" id="${escapeHtml(id)}" viewBox="0 0 ${frame.width} ${frame.height}" ` +
    `width="${frame.width}" height="${frame.height}" role="img" aria-label="${escapeHtml(label)}">${body}</svg>`
  );
}

/** Rounds to two decimals: short coordinates and labels. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
