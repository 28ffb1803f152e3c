// The Speculative tab's link in the address bar (`#speculative/<payload>`, ./hashRoute.ts), kept in
// step with the setup by useHashLink, as the Decode tab's is.
import type { SpeculativeSetup } from '../../share/speculative-link';
import { appStore, useAppStore } from '../../store';
import { useHashLink, type HashLinkScheme } from '../useHashLink';
import { speculativeHash, speculativeLinkPayload } from './hashRoute';

const SPECULATIVE_LINK: HashLinkScheme<SpeculativeSetup> = {
  payloadOf: speculativeLinkPayload,
  hashOf: speculativeHash,
  open: (payload) => appStore.getState().loadSpeculativeLink(payload),
  showing: () => appStore.getState().speculative.setup,
  payload: () => appStore.getState().speculativeLinkPayload(),
};

export function useSpeculativeLink(active: boolean): void {
  useHashLink(
    SPECULATIVE_LINK,
    active,
    useAppStore((s) => s.speculative.setup),
  );
}
