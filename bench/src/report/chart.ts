import type { Target } from './model.js';
import { margin } from './model.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar chart (SVG) of measured ratio / goal for every target, on a log scale:
 * bars past the 1.0 line meet their target.
 */
export function targetsChart(targets: Target[], title: string): string {
  const rows = targets.filter((t) => t.ratio !== null && Number.isFinite(t.ratio) && t.ratio > 0);
  const labelW = 430;
  const barW = 360;
  const rowH = 24;
  const top = 40;
  const height = top + rows.length * rowH + 40;
  const width = labelW + barW + 90;
  const min = 0.01;
  const max = 100;
  const x = (v: number) => labelW + (Math.log10(Math.min(max, Math.max(min, v)) / min) / Math.log10(max / min)) * barW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const tick of [0.01, 0.1, 1, 10, 100]) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${height - 30}" stroke="${tick === 1 ? '#333' : '#ddd'}"/>`);
    parts.push(`<text x="${x(tick)}" y="${height - 14}" text-anchor="middle" fill="#555">${tick}×</text>`);
  }
  rows.forEach((t, i) => {
    const y = top + i * rowH;
    const v = margin(t);
    const color = t.verdict === 'PASS' ? '#2e7d32' : '#c62828';
    parts.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(t.what.slice(0, 70))}</text>`);
    parts.push(`<rect x="${x(min)}" y="${y + 4}" width="${Math.max(1, x(v) - x(min))}" height="${rowH - 8}" fill="${color}"/>`);
    parts.push(`<text x="${x(v) + 4}" y="${y + 15}" fill="#333">${Math.round(t.ratio! * 100) / 100}x (goal ${t.atMost ? '<=' : '>='} ${t.goal}x)</text>`);
  });
  parts.push(`<text x="${labelW}" y="${height - 2}" fill="#555">how far each target is met (log scale): right of 1× passes</text>`, '</svg>');
  return parts.join('\n');
}
