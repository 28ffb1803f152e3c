// Keeps the URL hash and a tab's state in step, for every tab whose state is a link (Decode's
// `#decode/…`, Speculative's `#speculative/…`). On mount and on every `hashchange`, a payload of
// the tab's scheme that the page did not write itself is opened as a link; while the tab is shown,
// every edit rewrites the hash to the current state's link (replaceState, so the back button is not
// flooded). A link that failed to open stays in the address bar, readable, until the state is
// edited.
import { useEffect, useRef, type RefObject } from 'react';

/** How one tab's state maps to and from its hash. Keep it a module constant (hooks read it once). */
export interface HashLinkScheme<S> {
  /** The payload of a hash of this scheme, or null for any other hash. */
  payloadOf(hash: string): string | null;
  hashOf(payload: string): string;
  /** Opens a payload into the store; false when it did not open (the store shows why). */
  open(payload: string): boolean;
  /** The state now showing (compared by identity). */
  showing(): S;
  /** The current state's payload, or null while a field is invalid. */
  payload(): string | null;
}

interface LinkMemory<S> {
  /** The payload this page last wrote or opened: a hashchange to it is not a new link. */
  current: string | null;
  /** The state that was showing when a link failed: the hash is left alone until it changes. */
  failedOver: S | null;
}

/** Opens the hash's link if it is one this page has not written or opened; true if it did. */
function openHashLink<S>(scheme: HashLinkScheme<S>, memory: RefObject<LinkMemory<S>>): boolean {
  const payload = scheme.payloadOf(location.hash);
  if (payload === null || payload === memory.current.current) return false;
  memory.current.current = payload;
  if (!scheme.open(payload)) memory.current.failedOver = scheme.showing();
  return true;
}

/** `state` is the value whose edits rewrite the hash (the hook re-runs when it changes). */
export function useHashLink<S>(scheme: HashLinkScheme<S>, active: boolean, state: S): void {
  const memory = useRef<LinkMemory<S>>({ current: null, failedOver: null });

  useEffect(() => {
    const onHashChange = () => void openHashLink(scheme, memory);
    onHashChange();
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, [scheme]);

  useEffect(() => {
    if (!active) return;
    // A hashchange to a link can switch the tab (App's listener) before this hook's listener runs:
    // open the link first, never overwrite it with the state that was showing.
    if (openHashLink(scheme, memory)) return;
    if (memory.current.failedOver !== null) {
      if (scheme.showing() === memory.current.failedOver) return;
      memory.current.failedOver = null;
    }
    const payload = scheme.payload();
    if (payload === null) return; // a field is invalid: the last good link stays
    memory.current.current = payload;
    const hash = scheme.hashOf(payload);
    if (location.hash !== hash)
      history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  }, [scheme, active, state]);
}
