/** The YAML inspector: desired state and status shown apart, managed fields hidden unless asked for. */
import { useId, useMemo, useState } from 'react';
import type { ResourceView } from '../api/types.js';
import { manifestOf } from '../lib/manifest.js';
import { toYaml } from '../lib/yaml.js';
import { YamlView } from './YamlView.js';

export function Inspector({ view }: { view: ResourceView }) {
  const id = useId();
  const [showManaged, setShowManaged] = useState(false);
  const manifest = useMemo(() => manifestOf(view, showManaged), [view, showManaged]);
  return (
    <div className="inspector">
      <label className="check" htmlFor={id}>
        <input id={id} type="checkbox" checked={showManaged} onChange={(e) => setShowManaged(e.target.checked)} />
        Show managed fields (resourceVersion, uid, generation, managedFields, last-applied)
      </label>
      <div className="inspector-panes">
        <YamlView label="Spec" yaml={toYaml(manifest.desired)} />
        {manifest.status === undefined ? (
          <p className="muted">No status reported yet.</p>
        ) : (
          <YamlView label="Status" yaml={toYaml({ status: manifest.status })} />
        )}
      </div>
    </div>
  );
}
