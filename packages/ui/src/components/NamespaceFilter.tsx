import { useEffect, useId, useState, type FormEvent } from 'react';

/** The namespace filter; applied on Enter or blur, so typing does not fire a request per key. */
export function NamespaceFilter({ namespace, onChange }: { namespace: string; onChange: (namespace: string) => void }) {
  const id = useId();
  const [draft, setDraft] = useState(namespace);
  useEffect(() => setDraft(namespace), [namespace]);
  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    if (draft.trim() !== namespace) onChange(draft.trim());
  };
  return (
    <form className="namespace" onSubmit={apply} aria-label="namespace filter">
      <label htmlFor={id}>Namespace</label>
      <input id={id} value={draft} placeholder="all namespaces" onChange={(e) => setDraft(e.target.value)} onBlur={() => apply()} />
    </form>
  );
}
