/** YAML with highlight.js's yaml grammar (registered alone, to keep the bundle small) and a copy button. */
import hljs from 'highlight.js/lib/core';
import yamlLanguage from 'highlight.js/lib/languages/yaml';
import { useMemo, useState } from 'react';

hljs.registerLanguage('yaml', yamlLanguage);

export function YamlView({ yaml, label }: { yaml: string; label: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed'>();
  // highlight.js escapes the source text, so its HTML is safe to insert.
  const html = useMemo(() => hljs.highlight(yaml, { language: 'yaml' }).value, [yaml]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(yaml);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <figure className="yaml">
      <figcaption>
        <span>{label}</span>
        <button type="button" onClick={() => void copy()} aria-label={`Copy ${label} YAML`}>
          {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed: select and copy' : 'Copy'}
        </button>
      </figcaption>
      <pre tabIndex={0} aria-label={`${label} YAML`}>
        <code className="hljs language-yaml" dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
    </figure>
  );
}
