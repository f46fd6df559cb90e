import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export const number = (n: number) => n.toLocaleString('en-US');

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${number(n)} ${n === 1 ? one : many}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 60 && seconds > -60) return 'just now';
  if (seconds > 0 && seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds > 0 && seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function ErrorNote(props: { error: string | null }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error}
    </p>
  ) : null;
}

export function Denied(props: { reason: string | null }) {
  return props.reason ? <p class="denied">{props.reason}</p> : null;
}

export function Status(props: { status: string }) {
  return <span class={`badge ${props.status}`}>{props.status.replace('_', ' ')}</span>;
}

export function LiveMark(props: { state: 'live' | 'reconnecting' | 'ended' | 'connecting' }) {
  const text = { live: 'live', reconnecting: 'reconnecting…', ended: 'finished', connecting: 'connecting…' }[props.state];
  return (
    <span class={`live ${props.state}`} role="status" data-testid="live-mark">
      <span aria-hidden="true">●</span> {text}
    </span>
  );
}

export function Progress(props: { done: number; total: number; label: string }) {
  return (
    <div class="progress">
      <label>
        {props.label}: {number(props.done)} of {number(props.total)}
        <progress max={props.total || 1} value={props.done} />
      </label>
    </div>
  );
}

/** Shows a secret once, with a copy button; it is gone when the dialog closes. */
export function SecretOnce(props: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret">
      <span>{props.label}</span>
      <code data-testid="secret">{props.value}</code>
      <button
        type="button"
        onClick={async () => {
          await navigator.clipboard?.writeText(props.value).catch(() => undefined);
          setCopied(true);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section>
      <div class="page-head">
        <h1>{props.title}</h1>
        {props.actions && <div class="page-actions">{props.actions}</div>}
      </div>
      {props.children}
    </section>
  );
}

export function downloadText(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function csvLine(values: unknown[]): string {
  return values.map((v) => {
    const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }).join(',');
}
