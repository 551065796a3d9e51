import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Breadcrumbs } from '../components/Breadcrumbs.js';
import { useToken } from '../hooks/token.js';

/** The API token: stored in this browser only and sent as `Authorization: Bearer` with every call. */
export function SettingsPage() {
  const id = useId();
  const { token, setToken } = useToken();
  const [draft, setDraft] = useState(token);
  const navigate = useNavigate();
  const save = (e: FormEvent) => {
    e.preventDefault();
    setToken(draft);
    void navigate('/');
  };
  return (
    <section aria-labelledby={`${id}-h`}>
      <Breadcrumbs trail={[{ label: 'Jangar', to: '/' }, { label: 'Token' }]} />
      <h1 id={`${id}-h`}>API token</h1>
      <p>
        The UI calls the same REST API as every client, with this bearer token. It is kept in this browser's local storage. The
        development stack (<code>npm start</code>) accepts <code>dev</code>.
      </p>
      <form onSubmit={save} className="token-form">
        <label htmlFor={id}>Token</label>
        <input id={id} type="password" autoComplete="off" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">Save</button>
        <button
          type="button"
          onClick={() => {
            setDraft('');
            setToken('');
          }}
        >
          Forget
        </button>
      </form>
    </section>
  );
}
