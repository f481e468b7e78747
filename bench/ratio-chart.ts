// An SVG bar chart of each row's ratio to its baseline (log scale, 1 = as fast as the baseline),
// with the row's target marked. Pure: returns the SVG text.
import { formatNumber, meetsTarget, type BenchRow } from './bench-report';

const ROW_HEIGHT = 26;
const LABEL_WIDTH = 230;
const PLOT_WIDTH = 520;
const RIGHT_PAD = 240;
const TOP = 48;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Log2 axis bounds that hold every ratio and target, in powers of two. */
export function axisBounds(values: readonly number[]): { low: number; high: number } {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const low = Math.min(0.5, ...finite.map((v) => 2 ** Math.floor(Math.log2(v))));
  const high = Math.max(2, ...finite.map((v) => 2 ** Math.ceil(Math.log2(v))));
  return { low, high: high === low ? low * 2 : high };
}

export function ratioChartSvg(rows: readonly BenchRow[], title: string): string {
  const plotted = rows.filter((row) => row.ratio !== null);
  const { low, high } = axisBounds(plotted.flatMap((row) => [row.ratio as number, row.params.target?.value ?? 1]));
  const x = (value: number) =>
    LABEL_WIDTH + ((Math.log2(value) - Math.log2(low)) / (Math.log2(high) - Math.log2(low))) * PLOT_WIDTH;
  const height = TOP + plotted.length * ROW_HEIGHT + 40;
  const width = LABEL_WIDTH + PLOT_WIDTH + RIGHT_PAD;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="36" fill="#555">ratio = value / baseline from the same run (log scale); | = target; green = target met, red = missed, grey = no target</text>`,
  ];
  for (let tick = low; tick <= high; tick *= 2) {
    const tx = x(tick).toFixed(1);
    parts.push(
      `<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${height - 30}" stroke="${tick === 1 ? '#333' : '#ddd'}"/>`,
      `<text x="${tx}" y="${height - 14}" text-anchor="middle" fill="#555">${formatNumber(tick)}</text>`,
    );
  }
  plotted.forEach((row, i) => {
    const y = TOP + i * ROW_HEIGHT;
    const ratio = row.ratio as number;
    const met = meetsTarget(row);
    const color = met === undefined ? '#9e9e9e' : met ? '#2e7d32' : '#c62828';
    const from = x(1);
    const to = x(ratio);
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + 16}" text-anchor="end">${escapeXml(row.name)}</text>`,
      `<rect x="${Math.min(from, to).toFixed(1)}" y="${y + 5}" width="${Math.max(1, Math.abs(to - from)).toFixed(1)}" height="${ROW_HEIGHT - 10}" fill="${color}"/>`,
      `<text x="${(Math.max(from, to) + 6).toFixed(1)}" y="${y + 16}">${escapeXml(
        `${formatNumber(ratio)}x (${formatNumber(row.value)} ${row.unit} vs ${formatNumber(row.baselineValue)})`,
      )}</text>`,
    );
    const target = row.params.target;
    if (target && target.of !== 'difference') {
      const tx = x(target.value).toFixed(1);
      parts.push(
        `<line x1="${tx}" y1="${y + 2}" x2="${tx}" y2="${y + ROW_HEIGHT - 2}" stroke="black" stroke-width="2"/>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
