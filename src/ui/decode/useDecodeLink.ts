// The Decode tab's link in the address bar (`#decode/<payload>`, ./hashRoute.ts), kept in step with
// the experiment by useHashLink.
import type { Experiment } from '../../share/experiment';
import { appStore, useAppStore } from '../../store';
import { useHashLink, type HashLinkScheme } from '../useHashLink';
import { decodeHash, linkPayload } from './hashRoute';

const DECODE_LINK: HashLinkScheme<Experiment> = {
  payloadOf: linkPayload,
  hashOf: decodeHash,
  open: (payload) => appStore.getState().loadDecodeLink(payload),
  showing: () => appStore.getState().decode.experiment,
  payload: () => appStore.getState().decodeLinkPayload(),
};

export function useDecodeLink(active: boolean): void {
  useHashLink(
    DECODE_LINK,
    active,
    useAppStore((s) => s.decode.experiment),
  );
}
