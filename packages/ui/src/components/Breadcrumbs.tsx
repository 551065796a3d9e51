import { Link } from 'react-router';

/** Where the page sits: each crumb but the last is a link. */
export function Breadcrumbs({ trail }: { trail: ReadonlyArray<{ label: string; to?: string }> }) {
  return (
    <nav aria-label="breadcrumbs" className="crumbs">
      <ol>
        {trail.map((c, i) => (
          <li key={`${i}:${c.label}`}>{c.to && i < trail.length - 1 ? <Link to={c.to}>{c.label}</Link> : <span aria-current="page">{c.label}</span>}</li>
        ))}
      </ol>
    </nav>
  );
}
