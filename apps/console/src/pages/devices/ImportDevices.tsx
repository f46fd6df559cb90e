import { useState } from 'preact/hooks';
import { api, must } from '../../api/client';
import { Modal } from '../../components/Confirm';
import { ErrorNote, Progress, csvLine, downloadText, plural } from '../../components/Bits';
import { parseTags } from './RegisterDevice';

const CHUNK = 1_000;

interface Row {
  id?: string;
  name?: string;
  type: string;
  tags?: Record<string, string>;
}

/** JSON: an array of devices, or `{devices: [...]}`. CSV: a header line with id, name, type, tags (tags as `k:v k:v`). */
export function parseImport(text: string): Row[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as Row[] | { devices: Row[] };
    return Array.isArray(parsed) ? parsed : parsed.devices;
  }
  const [header, ...lines] = trimmed.split(/\r?\n/).filter(Boolean);
  const columns = header.split(',').map((c) => c.trim().toLowerCase());
  return lines.map((line) => {
    const cells = line.split(',').map((c) => c.trim());
    const value = (name: string) => cells[columns.indexOf(name)] || undefined;
    const tags = value('tags');
    return { id: value('id'), name: value('name'), type: value('type') ?? '', ...(tags ? { tags: parseTags(tags) } : {}) };
  });
}

/**
 * Imports a batch in calls of 1,000 (each all or nothing on the server), with progress. A
 * failing call is reported with its rows and the import goes on; the credentials of what was
 * registered are offered once as a CSV download.
 */
export function ImportDevices(props: { onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [report, setReport] = useState<{ registered: number; failures: string[]; credentials: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setOpen(false);
    setReport(null);
    setError(null);
  };
  const onFile = async (file: File) => {
    setError(null);
    let rows: Row[];
    try {
      rows = parseImport(await file.text()).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as Row);
    } catch (e) {
      setError(`Cannot read ${file.name}: ${(e as Error).message}`);
      return;
    }
    const credentials = [csvLine(['id', 'username', 'password'])];
    const failures: string[] = [];
    let registered = 0;
    setProgress({ done: 0, total: rows.length });
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      try {
        const result = await must(api.POST('/api/v1/devices/batch', { body: { devices: chunk } }));
        registered += result.devices.length;
        for (const d of result.devices) credentials.push(csvLine([d.id, d.credentials.username, d.credentials.password]));
      } catch (e) {
        failures.push(`rows ${i + 1}–${i + chunk.length}: ${(e as Error).message}`);
      }
      setProgress({ done: Math.min(i + CHUNK, rows.length), total: rows.length });
    }
    setProgress(null);
    setReport({ registered, failures, credentials: credentials.join('\n') + '\n' });
    props.onDone();
  };
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Import…
      </button>
      <Modal title="Import devices" open={open} onClose={close}>
        {!report && (
          <label>
            A CSV (id,name,type,tags) or JSON file
            <input type="file" accept=".csv,.json,text/csv,application/json" disabled={progress !== null} onChange={(e) => e.currentTarget.files?.[0] && void onFile(e.currentTarget.files[0])} />
          </label>
        )}
        {progress && <Progress label="Registering" {...progress} />}
        <ErrorNote error={error} />
        {report && (
          <div role="status">
            <p>{plural(report.registered, 'device')} registered.</p>
            {report.failures.map((f) => (
              <p class="error" key={f}>
                {f}
              </p>
            ))}
            {report.registered > 0 && (
              <button type="button" class="primary" onClick={() => downloadText('device-credentials.csv', report.credentials)}>
                Download their credentials (shown once)
              </button>
            )}
          </div>
        )}
        <div class="actions">
          <button type="button" class="ghost" onClick={close}>
            Close
          </button>
        </div>
      </Modal>
    </>
  );
}
