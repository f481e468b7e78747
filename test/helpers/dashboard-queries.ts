// The metric selectors in the Grafana dashboard's queries, for the tests that hold it to what the
// worker exports: each metric name with the label names its selector filters on.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const DASHBOARD_PATH = resolve(__dirname, '../../deploy/grafana/cache-warming-dashboard.json');

export interface Selector {
  /** As exported: `cache_warm_duration_bucket`, `temporal_num_pollers`. */
  metric: string;
  labels: string[];
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
}

/** Every `metric{label=...}` selector in every panel's queries. */
export function dashboardSelectors(): Selector[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as { panels: Panel[] };
  const selectors: Selector[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      for (const match of (target.expr ?? '').matchAll(/\b((?:cache_warm|temporal)_[a-z_]+)\{([^}]*)\}/g)) {
        const labels = [...(match[2] ?? '').matchAll(/(\w+)\s*(?:=~|!=|!~|=)/g)].map((m) => m[1] as string);
        selectors.push({ metric: match[1] as string, labels });
      }
    }
  }
  return selectors;
}

/** Metric name → label names seen on it, from a Prometheus text exposition. */
export function exportedMetrics(exposition: string): Map<string, Set<string>> {
  const metrics = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s/.exec(line);
    if (!match) continue;
    const labels = metrics.get(match[1] as string) ?? new Set<string>();
    for (const label of (match[2] ?? '').matchAll(/(\w+)="/g)) labels.add(label[1] as string);
    metrics.set(match[1] as string, labels);
  }
  return metrics;
}
