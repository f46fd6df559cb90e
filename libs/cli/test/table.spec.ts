import { renderTable } from '../src/output/table';

describe('renderTable', () => {
  const headers = ['ID', 'NAME', 'TAGS'];
  const rows = [
    ['cam-0001', 'Front door camera', 'site:syd,floor:2'],
    ['cam-0002', '-', 'site:mel'],
  ];

  it('aligns columns three spaces apart, with no trailing spaces', () => {
    expect(renderTable(headers, rows, Number.POSITIVE_INFINITY)).toBe(
      ['ID         NAME                TAGS', 'cam-0001   Front door camera   site:syd,floor:2', 'cam-0002   -                   site:mel', ''].join('\n'),
    );
  });

  it('narrows the widest column with an ellipsis to fit the width, never below its header or 6 characters', () => {
    const lines = renderTable(headers, rows, 36).trimEnd().split('\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(36);
    expect(lines).toEqual(['ID         NAME     TAGS', 'cam-0001   Front…   site:syd,floor:2', 'cam-0002   -        site:mel']);
    const tiny = renderTable(headers, rows, 5).trimEnd().split('\n');
    expect(tiny).toEqual(['ID       NAME     TAGS', 'cam-0…   Front…   site:…', 'cam-0…   -        site:…']);
  });
});
