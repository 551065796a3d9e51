import { Link, NavLink, Outlet } from 'react-router';
import { useToken } from '../hooks/token.js';
import { UI_KINDS } from '../lib/kinds.js';

/** The frame of every page: skip link, kind navigation, token status, then the page. */
export function Layout() {
  const { token } = useToken();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Jangar
        </Link>
        <nav aria-label="resource kinds">
          <ul>
            {UI_KINDS.map((k) => (
              <li key={k.route}>
                <NavLink to={`/${k.route}`}>{k.title}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <NavLink to="/settings" className={token ? 'token-set' : 'token-missing'}>
          {token ? 'Token set' : 'Set token'}
        </NavLink>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
