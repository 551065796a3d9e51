import type { ReactNode } from 'react';

/** A labelled table that scrolls sideways on narrow screens; `columns` are its header cells, `children` its rows. */
export function DataTable({
  label,
  columns,
  className,
  busy,
  children,
}: {
  label: string;
  columns: readonly string[];
  className?: string;
  busy?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap" aria-busy={busy}>
      <table aria-label={label} className={className}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
