import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../../test/support/scratch-dir';
import { type ImportRow, parseCsvLine, readImportFile } from '../src/commands/import-reader';

async function rows(text: string, format: 'csv' | 'jsonl'): Promise<ImportRow[]> {
  const file = join(scratchDir('edgefleet-cli-import-'), `devices.${format}`);
  writeFileSync(file, text);
  const all: ImportRow[] = [];
  for await (const row of readImportFile(file, format)) all.push(row);
  return all;
}

describe('import file reader', () => {
  it('splits CSV fields with RFC 4180 quoting', () => {
    expect(parseCsvLine('a,"b,c","say ""hi""",')).toEqual(['a', 'b,c', 'say "hi"', '']);
    expect(() => parseCsvLine('a,"open')).toThrow('unterminated');
  });

  it('reads CSV with tags as key:value lists and tag.<key> columns; a bad row is refused with its line, the rest kept', async () => {
    const read = await rows('id,name,type,tags,tag.floor\ncam-1,Door,cam,site:syd;zone:a,2\n\ncam-2,,cam,,\ncam-3,x,cam,nocolon,\n,x,\ncam-1,dup,cam,,\n', 'csv');
    expect(read).toEqual([
      { line: 2, device: { id: 'cam-1', name: 'Door', type: 'cam', tags: { site: 'syd', zone: 'a', floor: '2' } } },
      { line: 4, device: { id: 'cam-2', type: 'cam' } },
      { line: 5, error: "tags: 'nocolon' is not key:value" },
      { line: 6, error: '3 fields where the header has 5' },
      { line: 7, error: 'id cam-1 appears earlier in the file' },
    ]);
  });

  it('reads JSON lines, refusing unknown fields, bad ids and non-objects', async () => {
    const read = await rows('{"type":"cam"}\n{"id":"bad id","type":"cam"}\n[1]\n{"type":"cam","color":"red"}\n{"type":"cam","tags":{"site":5}}\n', 'jsonl');
    expect(read).toEqual([
      { line: 1, device: { type: 'cam' } },
      { line: 2, error: "id: 'bad id' is not a valid device id" },
      { line: 3, error: 'each line must be a JSON object {"id","name","type","tags"}' },
      { line: 4, error: 'color: unknown field (expected id, name, type, tags)' },
      { line: 5, error: "tags: 'site:5' is not a valid tag" },
    ]);
  });
});
