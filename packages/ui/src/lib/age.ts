/** A compact age like kubectl's (`42s`, `7m`, `3h`, `12d`) of `iso` at `now`; `-` for a missing or future time. */
export function ageOf(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const seconds = Math.floor((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
