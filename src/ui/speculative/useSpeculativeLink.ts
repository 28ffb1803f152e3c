// Keeps the URL hash and the setup in step (the scheme is in ./hashRoute.ts), as the Decode tab's
// useDecodeLink does: a `#speculative/<payload>` the page did not write itself is opened as a link
// on mount and on every `hashchange`; while the tab is shown, every edit rewrites the hash to the
// current setup's link (replaceState). A link that failed to open stays in the address bar until
// the setup is edited.
import { useEffect, useRef, type RefObject } from 'react';
import type { SpeculativeSetup } from '../../share/speculative-link';
import { appStore, useAppStore } from '../../store';
import { speculativeHash, speculativeLinkPayload } from './hashRoute';

/** Opens the hash's link if it is one this page has not written or opened; true if it did. */
function openHashLink(
  current: RefObject<string | null>,
  failedOver: RefObject<SpeculativeSetup | null>,
): boolean {
  const payload = speculativeLinkPayload(location.hash);
  if (payload === null || payload === current.current) return false;
  current.current = payload;
  if (!appStore.getState().loadSpeculativeLink(payload))
    failedOver.current = appStore.getState().speculative.setup;
  return true;
}

export function useSpeculativeLink(active: boolean): void {
  const setup = useAppStore((s) => s.speculative.setup);
  const current = useRef<string | null>(null);
  const failedOver = useRef<SpeculativeSetup | null>(null);

  useEffect(() => {
    const onHashChange = () => void openHashLink(current, failedOver);
    onHashChange();
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  useEffect(() => {
    if (!active) return;
    // A hashchange to a link can switch the tab before this hook's listener runs: open it first.
    if (openHashLink(current, failedOver)) return;
    const state = appStore.getState();
    if (failedOver.current !== null) {
      if (state.speculative.setup === failedOver.current) return;
      failedOver.current = null;
    }
    const payload = state.speculativeLinkPayload();
    if (payload === null) return; // a field is invalid: the last good link stays
    current.current = payload;
    const hash = speculativeHash(payload);
    if (location.hash !== hash)
      history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  }, [active, setup]);
}
