/**
 * How a phase looks: a tone (colour), an icon and always the phase's own text, so the state
 * never rests on colour alone. Tones follow the design system: danger, accent (running),
 * warning (pending/queued), success, muted.
 */
export type Tone = 'success' | 'danger' | 'accent' | 'warning' | 'muted';

const TONES: Record<string, Tone> = {
  Succeeded: 'success',
  Ready: 'success',
  Active: 'success',
  Completed: 'success',
  Failed: 'danger',
  Error: 'danger',
  Running: 'accent',
  Progressing: 'accent',
  Pending: 'warning',
  Queued: 'warning',
  Cancelled: 'muted',
};

const ICONS: Record<Tone, string> = { success: '✔', danger: '✖', accent: '▶', warning: '◷', muted: '■' };

/** The tone and icon of a phase; unknown or missing phases are muted. */
export function phaseStyle(phase: string | undefined): { tone: Tone; icon: string; text: string } {
  const tone = (phase && TONES[phase]) || 'muted';
  return { tone, icon: phase ? ICONS[tone] : '–', text: phase ?? 'Unknown' };
}

/** True for phases after which a run never changes. */
export function isTerminal(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Cancelled';
}
