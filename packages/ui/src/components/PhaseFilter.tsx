/** The phase filter: any of the kind's phases, as a group of checkboxes (none checked: every phase). */
export function PhaseFilter({ phases, selected, onChange }: { phases: readonly string[]; selected: readonly string[]; onChange: (phases: string[]) => void }) {
  if (phases.length === 0) return null;
  const toggle = (phase: string, on: boolean) => onChange(phases.filter((p) => (p === phase ? on : selected.includes(p))));
  return (
    <fieldset className="phases">
      <legend>Phase</legend>
      {phases.map((phase) => (
        <label key={phase} className="check">
          <input type="checkbox" checked={selected.includes(phase)} onChange={(e) => toggle(phase, e.target.checked)} />
          {phase}
        </label>
      ))}
    </fieldset>
  );
}
