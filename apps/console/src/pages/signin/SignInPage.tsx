import { useState } from 'preact/hooks';
import { ErrorNote } from '../../components/Bits';
import { signIn } from '../../state/session';

/** The token is typed (or pasted) here, checked against the server, and kept in this tab only. */
export function SignInPage() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(value.trim());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <form onSubmit={submit} autoComplete="off">
        <h1>EdgeFleet console</h1>
        <p>Sign in with an API token. It is kept in this browser tab only, and sent to this server in a header.</p>
        <label>
          API token
          <input type="password" name="token" required value={value} onInput={(e) => setValue(e.currentTarget.value)} autoFocus />
        </label>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
