// Keeps the URL hash and the setup in step (the scheme is in ./hashRoute.ts), as the Decode tab's
// useDecodeLink does: a `#speculative/<payload>` the page did not write itself is opened as a link
// on mount and on every `hashchange`; while the tab is shown, every edit rewrites the hash to the
// current setup's link (replaceState). A link that failed to open stays in the address bar until
// the setup is edited.
import { useEffect, useRef } from 'react';
import type { SpeculativeSetup } from '../../share/speculative-link';
import { appStore, useAppStore } from '../../store';
import { speculativeHash, speculativeLinkPayload } from './hashRoute';

export function useSpeculativeLink(active: boolean): void {
  const setup = useAppStore((s) => s.speculative.setup);
  const current = useRef<string | null>(null);
  const failedOver = useRef<SpeculativeSetup | null>(null);

  useEffect(() => {
    const open = () => {
      const payload = speculativeLinkPayload(location.hash);
      if (payload === null || payload === current.current) return;
      current.current = payload;
      if (!appStore.getState().loadSpeculativeLink(payload)) failedOver.current = appStore.getState().speculative.setup; // prettier-ignore
    };
    open();
    window.addEventListener('hashchange', open);
    return () => window.removeEventListener('hashchange', open);
  }, []);

  useEffect(() => {
    if (!active) return;
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
