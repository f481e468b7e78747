// The report renderer on hand-built data: every chart's marks, the totals, escaping of data, and a
// clear page when there is nothing yet.
import { renderHtmlReport } from '../../report/html-report';
import { noReadCost } from '../../client/history-stats';
import type { ReportData } from '../../client/report-data';
import { summarizePreloads, type PreloadRun } from '../../core/preload-stats';
import { summarizeByTask, type WarmRecord } from '../../core/warm-stats';

const T0 = Date.parse('2025-01-01T10:00:00Z');
const EVIL = '<script>alert(1)</script>';

function report(warms: WarmRecord[], preloads: PreloadRun[] = [], overrides: Partial<ReportData> = {}): ReportData {
  return {
    stats: {
      ...summarizeByTask(warms),
      ...summarizePreloads(preloads),
      since: null,
      generatedAt: new Date(T0 + 3_600_000).toISOString(),
      read: noReadCost(),
    },
    warms,
    intervals: [],
    preloads,
    namespace: 'default',
    taskQueue: 'cache-warming',
    taskId: null,
    ...overrides,
  };
}

const warm = (taskId: string, i: number, ok: boolean, fate: WarmRecord['fate'], extra: Partial<WarmRecord> = {}) => ({
  taskId,
  cacheKey: `${taskId}:key`,
  ok,
  atMs: T0 + i * 60_000,
  durationMs: ok ? 20 + i : 4_000,
  fate,
  ...extra,
});

const preload = (
  i: number,
  failedSources: PreloadRun['failedSources'] = [],
  status: PreloadRun['status'] = 'completed',
) => ({
  workflowId: `preload-user:u${i}:${T0 + i}`,
  userId: `u${i}`,
  status,
  startedAtMs: T0 + i * 30_000,
  closedAtMs: T0 + i * 30_000 + 40 * (i + 1),
  latencyMs: 40 * (i + 1),
  failedSources,
});

function count(html: string, pattern: RegExp): number {
  return html.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/** The value shown in a totals tile. */
function tile(html: string, stat: string): string | undefined {
  return new RegExp(`data-stat="${stat}"><dt>[^<]*</dt><dd class="value">([^<]*)</dd>`).exec(html)?.[1];
}

const sample = () =>
  report(
    [
      warm('catalog', 0, true, 'useful'),
      warm('catalog', 1, true, 'wasted'),
      warm('catalog', 2, false, 'pending', { error: 'OriginRejected: GET answered 500' }),
      warm('catalog', 3, true, 'pending'),
      warm('prices', 1, true, 'useful'),
      warm('prices', 2, true, 'useful'),
    ],
    [preload(0), preload(1, ['navigation']), preload(2), preload(3, [], 'timedOut')],
    {
      intervals: [
        {
          taskId: 'catalog',
          cacheKey: 'catalog:key',
          adaptive: false,
          points: [
            { atMs: T0, intervalMinutes: 60, cause: 'start' },
            { atMs: T0 + 120_000, intervalMinutes: 30, cause: 'apply' },
          ],
          endMs: T0 + 3_600_000,
        },
        {
          taskId: 'prices',
          cacheKey: 'prices:key',
          adaptive: true,
          points: [
            { atMs: T0, intervalMinutes: 60, cause: 'start' },
            { atMs: T0 + 60_000, intervalMinutes: 15, cause: 'setInterval', reason: '2.1 accesses/min' },
            { atMs: T0 + 180_000, intervalMinutes: 30, cause: 'setInterval', reason: '0.7 accesses/min' },
          ],
          endMs: T0 + 3_600_000,
        },
      ],
    },
  );

test('draws one mark per warm, one bar group per task, a step per interval change and one point per preload', () => {
  const html = renderHtmlReport(sample());
  expect(count(html, /<svg class="chart" id="chart-/)).toBe(4);
  expect(count(html, /class="mark warm-point ok"/)).toBe(5);
  expect(count(html, /class="mark warm-point failed"/)).toBe(1);
  expect(count(html, /class="warm-line"/)).toBe(2);
  expect(count(html, /<g class="bar-group"/)).toBe(2);
  expect(count(html, /class="bar useful"/)).toBe(2);
  expect(count(html, /interval-change" data-task="catalog"/)).toBe(1);
  expect(count(html, /interval-change" data-task="prices"/)).toBe(2);
  // Only completed preloads have a latency; the timed-out run is counted as unfinished.
  expect(count(html, /class="mark preload-point/)).toBe(3);
  expect(count(html, /class="mark preload-point partial"/)).toBe(1);
  expect(html).toMatch(/class="pct-line p50"/);
  expect(html).toMatch(/class="pct-line p95"/);
  expect(html).toContain('runs that did not finish: 1');
  expect(count(html, /<tr data-task=/)).toBe(2);
});

test('the totals show the same numbers as the statistics', () => {
  const data = sample();
  const html = renderHtmlReport(data);
  expect(tile(html, 'totalWarmings')).toBe('6');
  expect(tile(html, 'successRate')).toBe('83.3%');
  expect(tile(html, 'efficiencyScore')).toBe(`${data.stats.efficiencyScore}%`);
  expect(data.stats.efficiencyScore).toBe(75);
  // Labelled as the seed labels it: 75 % is below "good" (> 80 %).
  expect(html).toMatch(/data-stat="efficiencyScore">.*<dd class="sub">poor \(&gt; 80 % good, &gt; 90 % excellent\)/);
  expect(html).toMatch(/<td[^>]*>75% poor<\/td>/);
  expect(tile(html, 'userPreloads')).toBe('3');
  expect(tile(html, 'p95DurationMs')).toBe('23ms');
});

test('every string from data is escaped: a key, a task id or an error like <script> renders as text', () => {
  const data = report([
    warm(EVIL, 0, true, 'useful', { cacheKey: `"><img src=x onerror=alert(1)>` }),
    warm(EVIL, 1, false, 'pending', { cacheKey: `"><img src=x onerror=alert(1)>`, error: `${EVIL} & 'quotes'` }),
  ]);
  data.intervals = [
    {
      taskId: EVIL,
      cacheKey: EVIL,
      adaptive: true,
      points: [{ atMs: T0, intervalMinutes: 60, cause: 'setInterval', reason: EVIL }],
      endMs: T0 + 60_000,
    },
  ];
  data.namespace = `ns${EVIL}`;
  const html = renderHtmlReport(data);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  expect(html).toContain('&amp; &#39;quotes&#39;');
  // Every element in the page is one the renderer writes itself.
  const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => (m[1] as string).toLowerCase()));
  const allowed =
    'html head meta title style body main header h1 h2 p time code dl div dt dd strong b br section svg g line text circle path polyline rect ul li span table thead tbody tr th td footer';
  expect([...tags].filter((tag) => !allowed.split(' ').includes(tag))).toEqual([]);
});

test('the page is self-contained: no script, no external resource, a CSP that forbids loading any', () => {
  const html = renderHtmlReport(sample());
  expect(html).not.toMatch(/<script|<link|<img|<iframe|url\(|@import/i);
  expect(html).not.toMatch(/\s(src|href)=/i);
  expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
});

test('with no warms the page says so clearly instead of drawing empty charts', () => {
  const html = renderHtmlReport(report([]));
  expect(html).toMatch(/<p class="empty" id="no-warms"><strong>No warms yet<\/strong>/);
  expect(html).not.toContain('<svg');
  expect(tile(html, 'totalWarmings')).toBe('0');
  expect(tile(html, 'efficiencyScore')).toBe('–');
  expect(html).toContain('No user preloads in this window.');
  expect(html).toContain('No task has run in this window.');
});

test('with a task filter the preload section explains that user preloads are not tasks', () => {
  const html = renderHtmlReport(report([warm('catalog', 0, true, 'useful')], [], { taskId: 'catalog' }));
  expect(html).toContain('User preloads are not tasks');
  expect(html).not.toContain('id="chart-preloads"');
  expect(html).toContain('task <code>catalog</code>');
});

test('a fleet report stays bounded: worst and busiest tasks drawn, a table per tag, the worst rows listed', () => {
  const warms: WarmRecord[] = [];
  const intervals: ReportData['intervals'] = [];
  for (let t = 0; t < 5_000; t++) {
    const taskId = `task-${t}`;
    for (let i = 0; i < 5; i++) warms.push(warm(taskId, i, !(t === 4_321 && i > 1), i < 4 ? 'useful' : 'pending'));
    intervals.push({
      taskId,
      cacheKey: `${taskId}:key`,
      adaptive: false,
      tags: [t % 2 ? 'odd' : 'even'],
      points: [{ atMs: T0, intervalMinutes: 60, cause: 'start' }],
      endMs: T0 + 3_600_000,
    });
  }
  // One busy task.
  for (let i = 5; i < 40; i++) warms.push(warm('task-7', i, true, 'useful'));
  warms.sort((a, b) => a.atMs - b.atMs);
  const html = renderHtmlReport(report(warms, [], { intervals }));
  expect(html.length).toBeLessThan(2_000_000);
  expect(tile(html, 'totalWarmings')).toBe(String(warms.length));
  // The tag table sums every task: 2 500 tasks under each tag, the failing one (4321) under "odd", listed first.
  expect(html).toMatch(/<tr data-tag="odd"><th scope="row" title="odd">odd<\/th><td class="num">2500<\/td>/);
  expect(html.indexOf('data-tag="odd"')).toBeLessThan(html.indexOf('data-tag="even"'));
  // The worst (failing) and the busiest task are drawn: at most 10 worst + 10 busiest bar groups, not 5 000.
  expect(count(html, /class="bar-group"/)).toBeLessThanOrEqual(20);
  expect(html).toContain('<g class="bar-group" data-task="task-4321">');
  expect(html).toContain('<g class="bar-group" data-task="task-7">');
  expect(count(html, /class="mark warm-point/)).toBeLessThanOrEqual(2_000);
  // The per-task table lists the worst 500, the failing task first.
  expect(count(html, /<tr data-task="/)).toBe(500);
  expect(/<tr data-task="([^"]+)"/.exec(html)?.[1]).toBe('task-4321');
});
