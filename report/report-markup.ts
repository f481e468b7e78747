// The report's shared markup: its colours, a section with its heading and note, a legend, an empty
// chart's placeholder, and how times and numbers are printed.
import { escapeHtml } from './svg-chart';

/** Task colours (a colour-blind-friendly set without red, which marks failures). */
export const TASK_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#ff9da7',
  '#1f3b73',
  '#8cd17d',
];
export const FAILURE_COLOR = '#c62828';
export const FATE_COLORS = { useful: '#2e7d32', wasted: '#ef6c00', pending: '#b0bec5' } as const;
export const PRELOAD_COLOR = '#4e79a7';
export const PARTIAL_PRELOAD_COLOR = '#ef6c00';
export const MAX_LABEL_CHARS = 24;
export const MAX_ERROR_CHARS = 140;

export type Colors = ReadonlyMap<string, string>;

export function section(id: string, title: string, note: string, content: string): string {
  return `<section id="${id}">
<h2>${title}</h2>
<p class="note">${note}</p>
${content}
</section>`;
}

export function placeholder(text: string): string {
  return `<p class="placeholder">${text}</p>`;
}

export function legend(colors: Colors, extra: string[] = []): string {
  const items = [...colors.entries()].map(
    ([taskId, color]) =>
      `<li><span class="swatch" style="background:${color}"></span>${escapeHtml(shorten(taskId, 40))}</li>`,
  );
  return `<ul class="legend">${[...items, ...extra].join('')}</ul>`;
}

export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
