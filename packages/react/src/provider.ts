import { createContext, createElement, useContext, type ReactNode } from 'react';
import { ParleyError, type ParleyClient } from '@parley/client';

/** `undefined` outside any provider; `null` inside a provider that has no client (yet). */
const ParleyContext = createContext<ParleyClient | null | undefined>(undefined);

/** Props of {@link ParleyProvider}. */
export interface ParleyProviderProps {
  /**
   * The client the hooks below read. `null` while there is none: on the server (render without
   * connecting), or before the user signed in. With `null` every hook returns its initial state
   * (no messages, an empty inbox, connection `idle`) and never touches a client.
   * Replacing the client (another user signed in) moves every hook to the new one's views.
   */
  client: ParleyClient | null;
  children?: ReactNode;
}

/** Makes a {@link ParleyClient} available to the Parley hooks of the tree below it. */
export function ParleyProvider({ client, children }: ParleyProviderProps): ReactNode {
  return createElement(ParleyContext.Provider, { value: client }, children);
}

/**
 * The client of the nearest {@link ParleyProvider}, or null when that provider has none.
 * Throws `ParleyError('INVALID')` outside any provider: a hook that silently read nothing would
 * hide the mistake.
 */
export function useParleyClient(): ParleyClient | null {
  const client = useContext(ParleyContext);
  if (client === undefined) throw new ParleyError('INVALID', 'Parley hooks need a <ParleyProvider client={…}> above them');
  return client;
}
