import { phaseStyle } from '../lib/phase.js';

/** A phase as colour, icon and text together, so it reads without colour too. */
export function PhaseBadge({ phase }: { phase: string | undefined }) {
  const { tone, icon, text } = phaseStyle(phase);
  return (
    <span className={`badge badge-${tone}`} data-phase={text}>
      <span aria-hidden="true">{icon}</span> {text}
    </span>
  );
}
