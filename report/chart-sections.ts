// The report's charts: warm durations over time, useful vs wasted warms per task, each task's
// interval history, and user-preload latency. Each returns one section of markup.
import { formatDurationMs } from '../core/durations';
import type { PreloadRun } from '../core/preload-stats';
import { efficiencyRating, type WarmRecord } from '../core/warm-stats';
import type { TaskIntervalHistory } from '../client/history-stats';
import type { ReportData } from '../client/report-data';
import {
  axes,
  escapeHtml,
  linearScale,
  logMsScale,
  plotFrame,
  round2,
  svg,
  timeScale,
  xRange,
  yRange,
  type Frame,
} from './svg-chart';
import {
  FAILURE_COLOR,
  FATE_COLORS,
  legend,
  MAX_LABEL_CHARS,
  PARTIAL_PRELOAD_COLOR,
  placeholder,
  PRELOAD_COLOR,
  section,
  shorten,
  TASK_COLORS,
  utc,
  type Colors,
} from './report-markup';
export function durationsSection(data: ReportData, colors: Colors): string {
  const note = 'Each warm at the time it finished, by how long it took (log scale). Failed warms are red crosses.';
  if (data.warms.length === 0)
    return section('durations', 'Warm durations over time', note, placeholder('No warms yet.'));
  const frame = plotFrame(960, 300);
  const times = data.warms.map((w) => w.atMs);
  const durations = data.warms.map((w) => w.durationMs);
  const x = timeScale([Math.min(...times), Math.max(...times)], xRange(frame));
  const y = logMsScale([Math.min(...durations), Math.max(...durations)], yRange(frame));
  const lines: string[] = [];
  for (const [taskId, color] of colors) {
    const ok = data.warms.filter((w) => w.taskId === taskId && w.ok);
    if (ok.length < 2) continue;
    const points = ok.map((w) => `${x.map(w.atMs)},${y.map(w.durationMs)}`).join(' ');
    lines.push(`<polyline class="warm-line" data-task="${escapeHtml(taskId)}" points="${points}" stroke="${color}"/>`);
  }
  const marks = data.warms.map((w) => warmMark(w, x.map(w.atMs), y.map(w.durationMs), colors));
  const chart = svg(
    'chart-durations',
    frame,
    `Warm durations over time: ${data.warms.length} warms`,
    axes(frame, x, y, { x: 'finished (UTC)', y: 'duration' }) + lines.join('') + marks.join(''),
  );
  const failureKey = `<li><span class="cross">×</span>failed</li>`;
  return section('durations', 'Warm durations over time', note, chart + legend(colors, [failureKey]));
}

function warmMark(w: WarmRecord, px: number, py: number, colors: Colors): string {
  const what = w.ok
    ? `${formatDurationMs(w.durationMs)}, ${w.fate}`
    : `failed after ${formatDurationMs(w.durationMs)}: ${w.error ?? 'unknown error'}`;
  const title = `<title>${escapeHtml(`${w.taskId} · ${utc(w.atMs)} · ${what}`)}</title>`;
  const task = escapeHtml(w.taskId);
  if (w.ok)
    return `<circle class="mark warm-point ok" data-task="${task}" cx="${px}" cy="${py}" r="4" fill="${colors.get(w.taskId) ?? TASK_COLORS[0]}">${title}</circle>`;
  const d = `M${px - 5} ${py - 5}L${px + 5} ${py + 5}M${px - 5} ${py + 5}L${px + 5} ${py - 5}`;
  return `<path class="mark warm-point failed" data-task="${task}" d="${d}" stroke="${FAILURE_COLOR}">${title}</path>`;
}

export function efficiencySection(data: ReportData): string {
  const note =
    'Successful warms per task by what became of the value: <b>useful</b> (read before it was replaced or expired), ' +
    '<b>wasted</b> (never read, or dropped because a newer value was already stored), <b>pending</b> (still live and unread).';
  const tasks = Object.entries(data.stats.byTask);
  if (tasks.length === 0) return section('efficiency', 'Useful vs wasted warms', note, placeholder('No warms yet.'));
  const rowHeight = 30;
  const labelWidth = 190;
  const textWidth = 260;
  const frame: Frame = plotFrame(960, 16 + rowHeight * tasks.length, {
    left: labelWidth,
    right: textWidth,
    top: 8,
    bottom: 8,
  });
  const [x0, x1] = xRange(frame);
  const max = Math.max(1, ...tasks.map(([, c]) => c.succeeded));
  const unit = (x1 - x0) / max;
  const groups = tasks.map(([taskId, c], i) => {
    const y = frame.top + i * rowHeight;
    let at = x0;
    const rects: string[] = [];
    for (const fate of ['useful', 'wasted', 'pending'] as const) {
      const count = c[fate];
      if (count === 0) continue;
      const width = round2(count * unit);
      rects.push(
        `<rect class="bar ${fate}" x="${round2(at)}" y="${y + 5}" width="${width}" height="${rowHeight - 10}" fill="${FATE_COLORS[fate]}"><title>${escapeHtml(`${taskId}: ${count} ${fate}`)}</title></rect>`,
      );
      at += width;
    }
    const summary = c.succeeded
      ? `${c.useful} useful · ${c.wasted} wasted · ${c.pending} pending${c.useful + c.wasted ? ` · ${c.efficiencyScore}% ${efficiencyRating(c.efficiencyScore, c.useful + c.wasted)}` : ''}`
      : `no successful warms (${c.failed} failed)`;
    return (
      `<g class="bar-group" data-task="${escapeHtml(taskId)}">` +
      `<text class="bar-label" x="${x0 - 8}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${escapeHtml(shorten(taskId, MAX_LABEL_CHARS))}<title>${escapeHtml(taskId)}</title></text>` +
      rects.join('') +
      `<text class="bar-value" x="${round2(at) + 8}" y="${y + rowHeight / 2 + 4}">${escapeHtml(summary)}</text></g>`
    );
  });
  const chart = svg(
    'chart-efficiency',
    frame,
    `Useful, wasted and pending warms for ${tasks.length} tasks`,
    groups.join(''),
  );
  const key = (['useful', 'wasted', 'pending'] as const).map(
    (fate) => `<li><span class="swatch" style="background:${FATE_COLORS[fate]}"></span>${fate}</li>`,
  );
  return section('efficiency', 'Useful vs wasted warms', note, chart + `<ul class="legend">${key.join('')}</ul>`);
}

export function intervalsSection(data: ReportData, colors: Colors): string {
  const note =
    "Each task's warm interval over time: the configured interval at start, changes applied with <code>warmctl apply</code> and adaptive re-plans by the optimiser.";
  const tasks = data.intervals.filter((t) => t.points.length > 0);
  if (tasks.length === 0)
    return section('intervals', 'Interval history', note, placeholder('No task has run in this window.'));
  const frame = plotFrame(960, 260);
  const start = Math.min(...tasks.map((t) => (t.points[0] as { atMs: number }).atMs));
  const end = Math.max(...tasks.map((t) => Math.max(t.endMs, ...t.points.map((p) => p.atMs))));
  const x = timeScale([start, end], xRange(frame));
  const y = linearScale(
    Math.max(...tasks.flatMap((t) => t.points.map((p) => p.intervalMinutes))),
    yRange(frame),
    (v) => `${v}m`,
  );
  // Tasks on the same interval would hide each other: spread the lines a few pixels apart.
  const offset = (i: number) => Math.max(-9, Math.min(9, (i - (tasks.length - 1) / 2) * 3));
  const lines = tasks.map((task, i) =>
    intervalLine(task, x.map, (v) => y.map(v) + offset(i), colors.get(task.taskId) ?? (TASK_COLORS[0] as string)),
  );
  const changes = tasks.reduce((n, t) => n + t.points.length - 1, 0);
  const chart = svg(
    'chart-intervals',
    frame,
    `Interval history of ${tasks.length} tasks with ${changes} changes`,
    axes(frame, x, y, { x: 'time (UTC)', y: 'interval' }) + lines.join(''),
  );
  return section('intervals', 'Interval history', note, chart + legend(colors));
}

function intervalLine(
  task: TaskIntervalHistory,
  mapX: (v: number) => number,
  mapY: (v: number) => number,
  color: string,
): string {
  const [first, ...rest] = task.points;
  if (!first) return '';
  let d = `M${mapX(first.atMs)} ${round2(mapY(first.intervalMinutes))}`;
  for (const point of rest) d += `H${mapX(point.atMs)}V${round2(mapY(point.intervalMinutes))}`;
  d += `H${mapX(Math.max(task.endMs, task.points[task.points.length - 1]?.atMs ?? 0))}`;
  const taskAttr = escapeHtml(task.taskId);
  const marks = task.points.map((point, i) => {
    const why = point.reason ? `${point.cause}: ${point.reason}` : point.cause;
    const title = escapeHtml(`${task.taskId}: every ${point.intervalMinutes} min from ${utc(point.atMs)} (${why})`);
    return `<circle class="interval-point${i > 0 ? ' interval-change' : ''}" data-task="${taskAttr}" data-cause="${point.cause}" cx="${mapX(point.atMs)}" cy="${round2(mapY(point.intervalMinutes))}" r="${i > 0 ? 4.5 : 3}" fill="${color}"><title>${title}</title></circle>`;
  });
  return `<g class="interval-task" data-task="${taskAttr}"><path class="interval-line" d="${d}" stroke="${color}"/>${marks.join('')}</g>`;
}

export function preloadSection(data: ReportData): string {
  const s = data.stats;
  const note =
    'Each user preload (login) at the time it finished, by its start-to-close time (log scale), with the p50 and p95 lines. Orange: some source failed.';
  if (data.taskId)
    return section(
      'preloads',
      'User preload latency',
      note,
      placeholder('User preloads are not tasks: leave out the task filter to see them.'),
    );
  const completed = data.preloads.filter((run) => run.status === 'completed');
  const failures = s.preloadFailures;
  const summary =
    `<p class="summary">${s.userPreloads} preload${s.userPreloads === 1 ? '' : 's'} · avg ${formatDurationMs(s.preloadLatency.avgMs)} · p50 ${formatDurationMs(s.preloadLatency.p50Ms)} · ` +
    `p95 ${formatDurationMs(s.preloadLatency.p95Ms)} · p99 ${formatDurationMs(s.preloadLatency.p99Ms)} · slowest ${formatDurationMs(s.preloadLatency.slowestMs)}<br>` +
    `Failed sources: session ${failures.bySource.session} · navigation ${failures.bySource.navigation} · forms ${failures.bySource.forms} ` +
    `(${failures.preloads} preloads) · runs that did not finish: ${failures.unfinished}</p>`;
  if (completed.length === 0)
    return section(
      'preloads',
      'User preload latency',
      note,
      placeholder('No user preloads in this window.') + (failures.unfinished ? summary : ''),
    );
  const frame = plotFrame(960, 260, { right: 90 });
  const times = completed.map((run) => run.closedAtMs);
  const latencies = completed.map((run) => run.latencyMs);
  const x = timeScale([Math.min(...times), Math.max(...times)], xRange(frame));
  const y = logMsScale([Math.min(...latencies), Math.max(...latencies)], yRange(frame));
  const [x0, x1] = xRange(frame);
  const percentileLines = (
    [
      ['p50', s.preloadLatency.p50Ms, '#2e7d32'],
      ['p95', s.preloadLatency.p95Ms, '#ad1457'],
    ] as const
  ).map(([name, ms, color]) => {
    const py = y.map(ms);
    // p95 labelled above its line and p50 below, so they stay readable when the two are close.
    const labelY = name === 'p95' ? py - 4 : py + 13;
    return `<g class="pct-line ${name}"><line x1="${x0}" x2="${x1}" y1="${py}" y2="${py}" stroke="${color}"/><text x="${x1 + 6}" y="${labelY}" fill="${color}">${name} ${escapeHtml(formatDurationMs(ms))}</text></g>`;
  });
  const marks = completed.map((run) => preloadMark(run, x.map(run.closedAtMs), y.map(run.latencyMs)));
  const chart = svg(
    'chart-preloads',
    frame,
    `User preload latency: ${completed.length} preloads`,
    axes(frame, x, y, { x: 'finished (UTC)', y: 'latency' }) + percentileLines.join('') + marks.join(''),
  );
  return section('preloads', 'User preload latency', note, summary + chart);
}

function preloadMark(run: PreloadRun, px: number, py: number): string {
  const partial = run.failedSources.length > 0;
  const what = partial ? `, failed: ${run.failedSources.join(', ')}` : '';
  const title = escapeHtml(`${run.userId} · ${utc(run.closedAtMs)} · ${formatDurationMs(run.latencyMs)}${what}`);
  return `<circle class="mark preload-point${partial ? ' partial' : ''}" cx="${px}" cy="${py}" r="4" fill="${partial ? PARTIAL_PRELOAD_COLOR : PRELOAD_COLOR}"><title>${title}</title></circle>`;
}
