// Keeps the URL hash and the experiment in step (the scheme is in ./hashRoute.ts). On mount and on
// every `hashchange` a `#decode/<payload>` the page did not write itself is opened as a link; while
// the tab is shown, every edit rewrites the hash to the current experiment's link (replaceState, so
// the back button is not flooded). A link that failed to open stays in the address bar, readable,
// until the experiment is edited.
import { useEffect, useRef, type RefObject } from 'react';
import type { Experiment } from '../../share/experiment';
import { appStore, useAppStore } from '../../store';
import { decodeHash, linkPayload } from './hashRoute';

/** Opens the hash's link if it is one this page has not written or opened; true if it did. */
function openHashLink(current: RefObject<string | null>, failedOver: RefObject<Experiment | null>): boolean {
  const payload = linkPayload(location.hash);
  if (payload === null || payload === current.current) return false;
  current.current = payload;
  if (!appStore.getState().loadDecodeLink(payload))
    failedOver.current = appStore.getState().decode.experiment;
  return true;
}

export function useDecodeLink(active: boolean): void {
  const experiment = useAppStore((s) => s.decode.experiment);
  /** The payload this page last wrote or opened: a hashchange to it is not a new link. */
  const current = useRef<string | null>(null);
  /** The experiment that was showing when a link failed: the hash is left alone until it changes. */
  const failedOver = useRef<Experiment | null>(null);

  useEffect(() => {
    const onHashChange = () => void openHashLink(current, failedOver);
    onHashChange();
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  useEffect(() => {
    if (!active) return;
    // A hashchange to a link can switch the tab (App's listener) before this hook's listener runs:
    // open the link first, never overwrite it with the experiment that was showing.
    if (openHashLink(current, failedOver)) return;
    const state = appStore.getState();
    if (failedOver.current !== null) {
      if (state.decode.experiment === failedOver.current) return;
      failedOver.current = null;
    }
    const payload = state.decodeLinkPayload();
    if (payload === null) return; // a field is invalid: the last good link stays
    current.current = payload;
    const hash = decodeHash(payload);
    if (location.hash !== hash)
      history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  }, [active, experiment]);
}
