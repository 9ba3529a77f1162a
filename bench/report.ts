import type { BenchmarkResult, Figure } from './benchmark.js';

/** The human-readable table: one row per figure, the ratio to the same-run baseline next to it. */
export function formatTable(results: Record<string, BenchmarkResult>): string {
  const header = ['benchmark', 'metric', 'value', 'baseline', 'ratio', 'goal'];
  const rows = Object.entries(results).flatMap(([name, result]) => result.figures.map((figure) => row(name, figure)));
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((cells) => cells[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const baselines = Object.entries(results).map(([name, result]) => `  ${name}: ${result.baseline}`);
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line), '', 'baselines (same run):', ...baselines].join('\n');
}

function row(name: string, figure: Figure): string[] {
  return [
    name,
    figure.metric,
    `${formatNumber(figure.value)} ${figure.unit}`,
    figure.baseline === null ? '' : `${formatNumber(figure.baseline)} ${figure.unit}`,
    figure.ratio === null ? '' : `${formatRatio(figure.ratio)}x`,
    figure.goal ? `${figure.goal.met ? 'met' : 'MISSED'} (${figure.goal.text})` : '',
  ];
}

/** Three significant digits, so that a small ratio (verify / hash) does not print as 0.01x. */
function formatRatio(value: number): string {
  return value >= 100 ? Math.round(value).toString() : value.toPrecision(3);
}

function formatNumber(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(3);
}
