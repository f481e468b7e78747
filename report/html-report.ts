// renderHtmlReport: the operator's one-page warming report as a self-contained HTML string (inline
// CSS and inline SVG; no script, no font, no external URL). Pure: data in, HTML out.
import { formatDurationMs } from '../core/durations';
import {
  efficiencyRating,
  summarizeWarms,
  WARM_COUNTER_COLUMNS,
  warmCounterCells,
  type WarmCounters,
  type WarmRecord,
} from '../core/warm-stats';
import type { ReportData } from '../client/report-data';
import { escapeHtml } from './svg-chart';
import { durationsSection, efficiencySection, intervalsSection, preloadSection } from './chart-sections';
import {
  FAILURE_COLOR,
  MAX_ERROR_CHARS,
  MAX_LABEL_CHARS,
  placeholder,
  round1,
  section,
  shorten,
  TASK_COLORS,
  utc,
  type Colors,
} from './report-markup';

/** Above this many tasks the report is a fleet's: charts draw the focus tasks, a table groups by tag. */
const FLEET_TASKS = 20;
/** Focus tasks of a fleet report: this many worst, and this many busiest. */
const FOCUS_EACH = 10;
/** Warm marks a chart draws at most (every failure first, then successes evenly sampled). */
const MAX_WARM_MARKS = 2_000;
/** Rows of the per-task table at most (worst first); the rest are counted, in `warmctl stats --json`. */
const MAX_TABLE_ROWS = 500;

/**
 * Renders the report. Every string that comes from data is escaped. With more than FLEET_TASKS
 * tasks the size stays bounded: the charts draw the worst and busiest tasks, a table sums each
 * tag, and the per-task table lists the worst MAX_TABLE_ROWS.
 */
export function renderHtmlReport(data: ReportData): string {
  const fleet = Object.keys(data.stats.byTask).length > FLEET_TASKS;
  const shown = fleet ? focusView(data) : data;
  const colors = taskColors(shown);
  const body = [
    header(data),
    fleet ? tagSection(data, shown) : '',
    durationsSection(shown, colors),
    efficiencySection(shown),
    intervalsSection(shown, colors),
    preloadSection(data),
    tableSection(data, colors),
    footer(),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Cache warming report · ${escapeHtml(data.taskQueue)} · ${escapeHtml(data.stats.generatedAt)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** Worst first: most failures, then lowest efficiency among known fates, then most warms. */
function worstFirst([a, ca]: [string, WarmCounters], [b, cb]: [string, WarmCounters]): number {
  const efficiency = (c: WarmCounters) => (c.useful + c.wasted > 0 ? c.efficiencyScore : 101);
  return (
    cb.failed - ca.failed ||
    efficiency(ca) - efficiency(cb) ||
    cb.totalWarmings - ca.totalWarmings ||
    a.localeCompare(b)
  );
}

/** The report's data narrowed to its focus tasks (the worst and the busiest), with marks bounded. */
function focusView(data: ReportData): ReportData {
  const entries = Object.entries(data.stats.byTask);
  const worst = [...entries].sort(worstFirst).slice(0, FOCUS_EACH);
  const busiest = [...entries]
    .sort(([a, ca], [b, cb]) => cb.totalWarmings - ca.totalWarmings || a.localeCompare(b))
    .slice(0, FOCUS_EACH);
  const focus = new Set([...worst, ...busiest].map(([taskId]) => taskId));
  const warms = data.warms.filter((w) => focus.has(w.taskId));
  return {
    ...data,
    stats: { ...data.stats, byTask: Object.fromEntries(entries.filter(([taskId]) => focus.has(taskId))) },
    warms: boundedWarms(warms),
    intervals: data.intervals.filter((t) => focus.has(t.taskId)),
  };
}

/** At most MAX_WARM_MARKS warms, oldest first: failures first, then successes evenly sampled. */
function boundedWarms(warms: readonly WarmRecord[]): WarmRecord[] {
  if (warms.length <= MAX_WARM_MARKS) return [...warms];
  const failed = warms.filter((w) => !w.ok).slice(-MAX_WARM_MARKS / 2);
  const ok = warms.filter((w) => w.ok);
  const room = MAX_WARM_MARKS - failed.length;
  const step = ok.length / room;
  const sampled = Array.from({ length: Math.min(room, ok.length) }, (_, i) => ok[Math.floor(i * step)] as WarmRecord);
  return [...failed, ...sampled].sort((a, b) => a.atMs - b.atMs);
}

/** A fleet's summary: counters per tag (a task counts under each of its tags), worst first. */
function tagSection(data: ReportData, shown: ReportData): string {
  const tasks = Object.keys(data.stats.byTask).length;
  const note =
    `${tasks} tasks: the charts below draw the ${Object.keys(shown.stats.byTask).length} worst and busiest ` +
    `(most failures, lowest efficiency, most warms)${shown.warms.length < data.warms.filter((w) => shown.stats.byTask[w.taskId]).length ? `, ${MAX_WARM_MARKS} warms at most` : ''}; ` +
    'this table sums each tag (a task with several tags counts under each).';
  const tagsOf = new Map(data.intervals.map((t) => [t.taskId, t.tags ?? []]));
  const byTag = new Map<string, { tasks: Set<string>; warms: WarmRecord[] }>();
  for (const w of data.warms) {
    const tags = tagsOf.get(w.taskId);
    for (const tag of tags && tags.length > 0 ? tags : ['(untagged)']) {
      const group = byTag.get(tag) ?? { tasks: new Set(), warms: [] };
      group.tasks.add(w.taskId);
      group.warms.push(w);
      byTag.set(tag, group);
    }
  }
  const rows = [...byTag.entries()]
    .map(([tag, group]) => [tag, group.tasks.size, summarizeWarms(group.warms)] as const)
    .sort(([a, , ca], [b, , cb]) => worstFirst([a, ca], [b, cb]));
  const head = ['tag', 'tasks', ...WARM_COUNTER_COLUMNS];
  const body = rows.map(
    ([tag, count, c]) =>
      `<tr data-tag="${escapeHtml(tag)}"><th scope="row" title="${escapeHtml(tag)}">${escapeHtml(shorten(tag, MAX_LABEL_CHARS))}</th><td class="num">${count}</td>` +
      warmCounterCells(c, '–')
        .map((cell) => `<td class="num">${escapeHtml(cell)}</td>`)
        .join('') +
      '</tr>',
  );
  return section(
    'tags',
    'By tag',
    note,
    `<div class="table-wrap"><table id="tag-table"><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`,
  );
}

function taskColors(data: ReportData): Colors {
  const ids = [...new Set([...Object.keys(data.stats.byTask), ...data.intervals.map((t) => t.taskId)])].sort();
  return new Map(ids.map((id, i) => [id, TASK_COLORS[i % TASK_COLORS.length] as string]));
}

function header(data: ReportData): string {
  const s = data.stats;
  const known = s.useful + s.wasted;
  const window = s.since ? `since ${utc(Date.parse(s.since))}` : 'all history';
  const tiles: [string, string, string, string][] = [
    ['totalWarmings', 'Warms', String(s.totalWarmings), `${s.succeeded} ok · ${s.failed} failed`],
    [
      'successRate',
      'Success rate',
      s.totalWarmings ? `${round1((100 * s.succeeded) / s.totalWarmings)}%` : '–',
      'of all warms',
    ],
    [
      'efficiencyScore',
      'Efficiency',
      known ? `${s.efficiencyScore}%` : '–',
      `${known ? `${efficiencyRating(s.efficiencyScore, known)} (> 80 % good, > 90 % excellent) · ` : ''}${s.useful} useful · ${s.wasted} wasted · ${s.pending} pending`,
    ],
    [
      'userPreloads',
      'User preloads',
      String(s.userPreloads),
      s.userPreloads ? `p95 ${formatDurationMs(s.preloadLatency.p95Ms)}` : data.taskId ? 'not tasks: left out' : 'none',
    ],
    [
      'p95DurationMs',
      'p95 warm',
      s.succeeded ? formatDurationMs(s.p95DurationMs) : '–',
      s.succeeded ? `p50 ${formatDurationMs(s.p50DurationMs)}` : 'no successful warms',
    ],
  ];
  const empty =
    s.totalWarmings === 0
      ? `<p class="empty" id="no-warms"><strong>No warms yet</strong> ${data.taskId ? `for task ${escapeHtml(data.taskId)} ` : ''}in this window. ` +
        'Apply a config (<code>warmctl apply -f FILE</code>) and let the tasks run, or force one with <code>warmctl warm TASK</code>.</p>'
      : '';
  return `<header>
<h1>Cache warming report</h1>
<p class="meta">Generated <time datetime="${escapeHtml(s.generatedAt)}">${utc(Date.parse(s.generatedAt))}</time> · namespace <code>${escapeHtml(data.namespace)}</code> · task queue <code>${escapeHtml(data.taskQueue)}</code> · ${escapeHtml(window)}${data.taskId ? ` · task <code>${escapeHtml(data.taskId)}</code>` : ''}</p>
<dl class="totals">
${tiles.map(([key, label, value, sub]) => `<div class="tile" data-stat="${key}"><dt>${label}</dt><dd class="value">${escapeHtml(value)}</dd><dd class="sub">${escapeHtml(sub)}</dd></div>`).join('\n')}
</dl>
${empty}
</header>`;
}

function tableSection(data: ReportData, colors: Colors): string {
  const all = Object.entries(data.stats.byTask);
  const fleet = all.length > FLEET_TASKS;
  const entries = fleet ? [...all].sort(worstFirst).slice(0, MAX_TABLE_ROWS) : all;
  const note =
    'Durations describe successful warms; efficiency counts only warms whose fate is known.' +
    (fleet
      ? ` Worst first${all.length > entries.length ? `: the ${entries.length} worst of ${all.length} tasks (all of them: <code>warmctl stats --json</code>)` : ''}.`
      : '');
  if (entries.length === 0) return section('tasks', 'Per task', note, placeholder('No warms yet.'));
  const intervals = new Map(data.intervals.map((t) => [t.taskId, t]));
  const lastError = new Map<string, string>();
  for (const w of data.warms) if (!w.ok && w.error) lastError.set(w.taskId, w.error);
  const keys = new Map<string, string>();
  for (const w of data.warms) if (w.cacheKey) keys.set(w.taskId, w.cacheKey);
  const cells = (c: WarmCounters) => warmCounterCells(c, '–');
  const head = ['task', ...WARM_COUNTER_COLUMNS, 'interval'];
  const rows = entries.map(([taskId, c]) => {
    const interval = intervals.get(taskId);
    const now = interval?.points[interval.points.length - 1]?.intervalMinutes;
    const error = lastError.get(taskId);
    const key = keys.get(taskId) ?? interval?.cacheKey ?? '';
    const row =
      `<tr data-task="${escapeHtml(taskId)}"><th scope="row" title="${escapeHtml(taskId)}"><span class="swatch" style="background:${colors.get(taskId) ?? TASK_COLORS[0]}"></span>${escapeHtml(shorten(taskId, MAX_LABEL_CHARS))}` +
      `<span class="key" title="${escapeHtml(key)}">${escapeHtml(shorten(key, MAX_LABEL_CHARS + 4))}</span></th>` +
      cells(c)
        .map((cell) => `<td class="num">${escapeHtml(cell)}</td>`)
        .join('') +
      `<td class="num">${now !== undefined ? `${escapeHtml(String(now))}m` : '–'}</td></tr>`;
    // The last error gets a row of its own: long messages would squeeze the numbers.
    const errorRow = error
      ? `<tr class="error-row"><td colspan="${head.length}" title="${escapeHtml(error)}">last error: ${escapeHtml(shorten(error, MAX_ERROR_CHARS))}</td></tr>`
      : '';
    return row + errorRow;
  });
  const total = `<tr class="total"><th scope="row">all tasks</th>${cells(data.stats)
    .map((cell) => `<td class="num">${escapeHtml(cell)}</td>`)
    .join('')}<td></td></tr>`;
  return section(
    'tasks',
    'Per task',
    note,
    `<div class="table-wrap"><table id="task-table"><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}${total}</tbody></table></div>`,
  );
}

function footer(): string {
  return `<footer><p>Every number here is derived from Temporal workflow history (each warm is a <code>warmKey</code> activity of a task workflow; each user preload a <code>preloadUserWorkflow</code> run), with each value's reads from its Redis metadata. <b>Efficiency</b> is the percentage of successful warms with a known fate whose value was read at least once before it was replaced or expired; warms still live and unread are pending and left out. Times are UTC.</p></footer>`;
}

const STYLE = `
:root { color-scheme: light; --fg: #1d2733; --muted: #5f6b7a; --line: #dde3ea; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 2px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef1f5; padding: 1px 4px; border-radius: 3px; }
.meta, .note, footer { color: var(--muted); }
.note { margin: 0 0 10px; font-size: 13px; }
.totals { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin: 16px 0; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.tile dd { margin: 0; }
.tile .value { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .sub { color: var(--muted); font-size: 12px; }
.empty { background: #fff8e1; border: 1px solid #ffe08a; border-radius: 8px; padding: 12px 16px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 16px 0; }
.placeholder { color: var(--muted); font-style: italic; margin: 8px 0; }
.summary { margin: 0 0 8px; font-variant-numeric: tabular-nums; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #3b4754; }
svg.chart .grid { stroke: #edf0f3; }
svg.chart .axis, svg.chart .tick-mark { stroke: #9aa5b1; }
svg.chart .axis-title { fill: var(--muted); font-size: 11px; }
svg.chart .warm-line { fill: none; stroke-width: 1.2; opacity: .45; }
svg.chart .warm-point.ok { stroke: #fff; stroke-width: 1; }
svg.chart .warm-point.failed { fill: none; stroke-width: 2.2; }
svg.chart .interval-line { fill: none; stroke-width: 2.2; }
svg.chart .interval-point { stroke: #fff; stroke-width: 1.2; }
svg.chart .pct-line line { stroke-dasharray: 6 4; stroke-width: 1.4; }
svg.chart .preload-point { stroke: #fff; stroke-width: 1; }
svg.chart .bar-value { fill: var(--muted); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 16px; padding: 0; margin: 8px 0 0; font-size: 13px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.cross { color: ${FAILURE_COLOR}; font-weight: 700; margin-right: 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 6px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
thead th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num { text-align: right; }
th .key { display: block; margin-left: 16px; font: 11.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--muted); }
tbody th { font-weight: 600; }
thead th:not(:first-child) { text-align: right; }
tr.error-row td { color: ${FAILURE_COLOR}; white-space: normal; font-size: 12px; padding-left: 24px; border-bottom-color: var(--line); }
tr:has(+ tr.error-row) th, tr:has(+ tr.error-row) td { border-bottom: none; }
tr.total th, tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
footer { font-size: 12.5px; margin-top: 16px; }
@media (max-width: 760px) { .totals { grid-template-columns: repeat(2, 1fr); } }
`;
