import { createContext, useContext } from 'react';
import { ApiClient, can, type Me, type Role } from './api';

export interface Session {
  api: ApiClient;
  me: Me;
  /** Whether the signed-in role may do what `role` may. */
  can: (role: Role) => boolean;
  signOut: () => void;
}

const SessionContext = createContext<Session | undefined>(undefined);
export const SessionProvider = SessionContext.Provider;

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in app');
  return s;
}

const KEY = 'outflow.token';
/** The token lives in this tab's session storage: closing the tab signs out. */
export const tokenStore = {
  get: () => window.sessionStorage.getItem(KEY),
  set: (token: string) => window.sessionStorage.setItem(KEY, token),
  clear: () => window.sessionStorage.removeItem(KEY),
};

export function makeSession(token: string, me: Me, signOut: () => void): Session {
  return { api: new ApiClient(token), me, can: (role) => can(me.role, role), signOut };
}
