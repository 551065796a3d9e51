/**
 * The label-selector filter: requirements as removable chips, a field to add more in Kubernetes
 * syntax (`app=web`, `tier in (1,2)`, `!canary`), and the selector text the API receives shown
 * underneath so it can be copied into kubectl or curl.
 */
import { useId, useState, type FormEvent } from 'react';
import { addChips, chipsOf, removeChip, selectorOf } from '../lib/label-chips.js';

export function SelectorInput({ selector, onChange }: { selector: string; onChange: (selector: string) => void }) {
  const id = useId();
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string>();
  const parsed = chipsOf(selector);

  const add = (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim() === '') return;
    const next = addChips(parsed.chips, draft);
    if (next.error !== undefined) return setError(next.error);
    setError(undefined);
    setDraft('');
    onChange(selectorOf(next.chips));
  };

  return (
    <form className="selector" onSubmit={add} aria-label="label selector">
      <label htmlFor={`${id}-input`}>Label selector</label>
      <div className="selector-row">
        <ul className="chips" aria-label="selector requirements">
          {parsed.chips.map((chip, i) => (
            <li key={chip} className="chip chip-removable">
              <span>{chip}</span>
              <button type="button" aria-label={`Remove ${chip}`} onClick={() => onChange(selectorOf(removeChip(parsed.chips, i)))}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <input
          id={`${id}-input`}
          value={draft}
          placeholder="app=web, tier in (1,2), !canary"
          aria-describedby={`${id}-syntax`}
          aria-invalid={error !== undefined}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit">Add</button>
      </div>
      {error || parsed.error ? (
        <p className="field-error" role="alert">
          {error ?? parsed.error}
        </p>
      ) : null}
      <p id={`${id}-syntax`} className="syntax">
        <span className="muted">labelSelector=</span>
        <code data-testid="selector-syntax">{selector || '(none: every label)'}</code>
      </p>
    </form>
  );
}
