const GAP = 3;
const MIN_COLUMN = 6;

/**
 * Plain-text columns, kubectl style: a header row, then one row per item, columns separated
 * by three spaces. When the rows are wider than `width`, the widest column is narrowed first
 * (cells cut with '…'), none below its header or 6 characters.
 */
export function renderTable(headers: string[], rows: string[][], width: number, styleHeader: (text: string) => string = (t) => t): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i].length)));
  const total = () => widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1);
  while (total() > width) {
    let widest = -1;
    widths.forEach((w, i) => {
      if (w > Math.max(MIN_COLUMN, headers[i].length) && (widest < 0 || w > widths[widest])) widest = i;
    });
    if (widest < 0) break;
    widths[widest] = Math.max(Math.max(MIN_COLUMN, headers[widest].length), widths[widest] - (total() - width));
  }
  const line = (cells: string[], style: (text: string) => string = (t) => t) =>
    cells
      .map((cell, i) => {
        const fitted = cell.length > widths[i] ? `${cell.slice(0, widths[i] - 1)}…` : cell;
        return i === cells.length - 1 ? style(fitted) : style(fitted.padEnd(widths[i]));
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [line(headers, styleHeader), ...rows.map((row) => line(row))].join('\n') + '\n';
}
