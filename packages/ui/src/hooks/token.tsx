/**
 * The operator's bearer token, kept in localStorage so a reload keeps the session. It is sent only
 * in the Authorization header of API calls; the static UI files need none.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

const STORAGE_KEY = 'jangar.token';

interface TokenState {
  token: string;
  setToken: (token: string) => void;
}

const TokenContext = createContext<TokenState | undefined>(undefined);

function stored(): string {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Provides the token to every page. */
export function TokenProvider({ children }: { children: ReactNode }) {
  const [token, setState] = useState(stored);
  const setToken = useCallback((next: string) => {
    const trimmed = next.trim();
    try {
      if (trimmed) localStorage.setItem(STORAGE_KEY, trimmed);
      else localStorage.removeItem(STORAGE_KEY);
    } catch {
      // Private modes may refuse storage; the token still lives for this page.
    }
    setState(trimmed);
  }, []);
  const value = useMemo(() => ({ token, setToken }), [token, setToken]);
  return <TokenContext.Provider value={value}>{children}</TokenContext.Provider>;
}

/** The current token and its setter. */
export function useToken(): TokenState {
  const state = useContext(TokenContext);
  if (!state) throw new Error('useToken outside TokenProvider');
  return state;
}
