// The Grafana dashboard's structure: valid JSON Grafana imports, panels laid out on its 24-column
// grid without overlap, every query on the Prometheus datasource variable, every variable used is
// defined, and every cache_warm_* series with the labels docs/operations.md documents. That the
// Temporal series exist is checked against a real worker in test/integration/worker-process.test.ts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DASHBOARD_PATH, dashboardSelectors } from '../helpers/dashboard-queries';

const datasource = z.object({ type: z.literal('prometheus'), uid: z.literal('${datasource}') });
const panelSchema = z.looseObject({
  id: z.number().int(),
  type: z.string(),
  title: z.string().min(1),
  gridPos: z.object({
    h: z.number().int().min(1),
    w: z.number().int().min(1),
    x: z.number().int().min(0),
    y: z.number().int().min(0),
  }),
  datasource: datasource.optional(),
  targets: z.array(z.looseObject({ expr: z.string().min(1), refId: z.string(), datasource })).optional(),
});
const dashboardSchema = z.looseObject({
  title: z.string(),
  uid: z.string().regex(/^[\w-]{1,40}$/),
  schemaVersion: z.number().int(),
  templating: z.object({ list: z.array(z.looseObject({ name: z.string(), type: z.string() })) }),
  panels: z.array(panelSchema),
});

const dashboard = dashboardSchema.parse(JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')));
const operations = readFileSync(resolve(__dirname, '../../docs/operations.md'), 'utf8');

test('panels have unique ids and lie on the 24-column grid without overlapping', () => {
  const ids = dashboard.panels.map((panel) => panel.id);
  expect(new Set(ids).size).toBe(ids.length);
  const taken = new Set<string>();
  for (const { gridPos, title } of dashboard.panels) {
    expect({ title, fits: gridPos.x + gridPos.w <= 24 }).toEqual({ title, fits: true });
    for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
      for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
        expect({ title, cell: `${x},${y}`, free: !taken.has(`${x},${y}`) }).toEqual({
          title,
          cell: `${x},${y}`,
          free: true,
        });
        taken.add(`${x},${y}`);
      }
    }
  }
});

test('every graph has queries with unique refIds, and every variable a query uses is defined', () => {
  const defined = new Set(dashboard.templating.list.map((variable) => variable.name));
  expect([...defined]).toEqual(expect.arrayContaining(['datasource', 'namespace', 'task_queue']));
  const builtIn = new Set(['__rate_interval', '__interval', '__range']);
  for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
    const targets = panel.targets ?? [];
    expect({ title: panel.title, queries: targets.length > 0 }).toEqual({ title: panel.title, queries: true });
    expect(new Set(targets.map((t) => t.refId)).size).toBe(targets.length);
    for (const { expr } of targets) {
      for (const [, name] of expr.matchAll(/\$(\w+)/g)) {
        expect({ expr, name, defined: defined.has(name as string) || builtIn.has(name as string) }).toEqual({
          expr,
          name,
          defined: true,
        });
      }
    }
  }
});

test('plots every documented cache_warm_* series, filtered only by documented labels', () => {
  const documented = [...operations.matchAll(/\| `(cache_warm_\w+)`/g)].map((m) => m[1] as string);
  expect(documented).toEqual(['cache_warm_attempts', 'cache_warm_duration', 'cache_warm_bytes']);
  const warming = dashboardSelectors().filter((s) => s.metric.startsWith('cache_warm_'));
  const base = (metric: string) => metric.replace(/_(bucket|sum|count)$/, '');
  expect(new Set(warming.map((s) => base(s.metric)))).toEqual(new Set(documented));
  const labels = ['namespace', 'taskQueue', 'outcome', 'source', 'activityType'];
  for (const selector of warming) expect(labels).toEqual(expect.arrayContaining(selector.labels));
  for (const label of labels) expect(operations).toContain(`\`${label}\``);
});

test('plots Temporal worker series too: slots, schedule-to-start, pollers, polls, failures', () => {
  const temporal = new Set(
    dashboardSelectors()
      .map((s) => s.metric)
      .filter((m) => m.startsWith('temporal_')),
  );
  for (const metric of [
    'temporal_worker_task_slots_available',
    'temporal_activity_schedule_to_start_latency_bucket',
    'temporal_num_pollers',
    'temporal_workflow_task_queue_poll_succeed',
    'temporal_local_activity_execution_failed',
  ]) {
    expect(temporal).toContain(metric);
  }
});
