import { useState } from 'preact/hooks';
import { api, authHeaders, must, type components } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { Denied, ErrorNote, Page, Progress, when } from '../../components/Bits';
import { Link } from '../../components/Link';
import { usePolling } from '../../state/poll';
import { href } from '../../state/route';
import { canWrite, writeDenied } from '../../state/session';

type Artifact = components['schemas']['ArtifactDto'];

/** XMLHttpRequest, not fetch: only it reports upload progress. The token goes in the header. */
function upload(form: FormData, onProgress: (sent: number, total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/artifacts');
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let message = `The server answered ${xhr.status}`;
      try {
        message = (JSON.parse(xhr.responseText) as { message: string }).message;
      } catch {
        // not JSON
      }
      reject(new Error(message));
    };
    xhr.onerror = () => reject(new Error('Upload failed: network error'));
    xhr.send(form);
  });
}

export function ArtifactsPage() {
  const artifacts = usePolling(() => must(api.GET('/api/v1/artifacts', { params: { query: { limit: 200 } } })), 0, []);
  const rollouts = usePolling(() => must(api.GET('/api/v1/rollouts', { params: { query: { limit: 200 } } })), 0, []);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const form = new FormData(event.currentTarget as HTMLFormElement);
    try {
      await upload(form, (done, total) => setProgress({ done, total }));
      (event.target as HTMLFormElement).reset();
      artifacts.reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
    }
  };
  const [deleting, setDeleting] = useState<Artifact | null>(null);
  const remove = async () => {
    setError(null);
    try {
      await must(api.DELETE('/api/v1/artifacts/{id}', { params: { path: { id: deleting!.id } } }));
      artifacts.reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setDeleting(null);
    }
  };
  const usedBy = (id: string) => (rollouts.data?.items ?? []).filter((r) => r.artifactId === id);
  return (
    <Page title="Artifacts">
      {canWrite.value ? (
        <form class="wizard" onSubmit={submit}>
          <fieldset>
            <legend>Upload firmware</legend>
            <label>Name<input name="name" required /></label>
            <label>Version<input name="version" required /></label>
            <label>Device types (comma separated)<input name="deviceTypes" required /></label>
            <label>File<input name="file" type="file" required /></label>
            <button type="submit" class="primary" disabled={progress !== null}>Upload</button>
          </fieldset>
          {progress && <Progress label="Uploaded bytes" {...progress} />}
        </form>
      ) : (
        <Denied reason={`${writeDenied.value} Uploading and deleting are hidden.`} />
      )}
      <ErrorNote error={error} />
      <DataTable
        caption="Artifacts"
        rows={artifacts.data?.items ?? []}
        rowKey={(a) => a.id}
        empty="No artifact uploaded."
        columns={[
          { key: 'name', label: 'Name', sortValue: (a) => a.name, render: (a) => a.name },
          { key: 'version', label: 'Version', sortValue: (a) => a.version, render: (a) => a.version },
          { key: 'types', label: 'Device types', render: (a) => a.deviceTypes.join(', ') },
          { key: 'size', label: 'Bytes', numeric: true, sortValue: (a) => a.size, render: (a) => a.size.toLocaleString('en-US') },
          { key: 'sha', label: 'sha256', render: (a) => <code title={a.sha256}>{a.sha256.slice(0, 16)}…</code> },
          { key: 'sig', label: 'Signature (Ed25519, key: GET /api/v1/signing-key)', render: (a) => <code title={a.signature}>{a.signature.slice(0, 12)}…</code> },
          { key: 'used', label: 'Used by', render: (a) => usedBy(a.id).map((r) => <Link key={r.id} href={href(`/rollouts/${r.id}`)}>{r.name} </Link>) },
          { key: 'at', label: 'Uploaded', sortValue: (a) => a.createdAt, render: (a) => when(a.createdAt) },
          {
            key: 'delete',
            label: 'Delete',
            render: (a) =>
              canWrite.value ? (
                <button type="button" class="danger ghost" onClick={() => setDeleting(a)}>
                  Delete {a.name} {a.version}
                </button>
              ) : null,
          },
        ]}
      />
      <Confirm title={`Delete ${deleting?.name ?? ''} ${deleting?.version ?? ''}?`} open={deleting !== null} confirmLabel="Delete the artifact" danger onClose={() => setDeleting(null)} onConfirm={remove}>
        <p>Its bytes are removed. The server refuses while an unfinished rollout uses it.</p>
      </Confirm>
    </Page>
  );
}
