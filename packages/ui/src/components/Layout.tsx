import { useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { useToken } from '../hooks/token.js';
import { UI_KINDS } from '../lib/kinds.js';

/** The frame of every page: skip link, kind navigation, token status, then the page. */
export function Layout() {
  const { token } = useToken();
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After moving to another page, focus goes to its content so keyboard and screen-reader users
  // start there; a filter change (same path) leaves focus where the user is.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [pathname]);
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
      <main id="main" tabIndex={-1} ref={main}>
        <Outlet />
      </main>
    </>
  );
}
