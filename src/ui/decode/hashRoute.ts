// The Decode tab's place in the URL hash (pure, unit-tested).
//
//   #decode             the tab, with whatever experiment the page holds
//   #decode/<payload>   the tab with an experiment: <payload> is exactly what encodeLink(experiment)
//                       returns (src/share/codec.ts: `x<N>.<base64url>`, URL-safe, no escaping)
//   #<payload>          the codec's own form (its shareUrl(), `window.logitlab.encodeLink`): read
//                       the same way, then rewritten to `#decode/<payload>`
//
// While the tab is open the page keeps the hash at `#decode/<payload>` of the current experiment
// (history.replaceState: no history entry per edit), so the address bar is always a share link.
// A pasted or edited hash is read on load and on `hashchange`; a payload that does not decode
// leaves the hash as it was (so the bad link can be read) until the experiment is edited.

export const DECODE_HASH = '#decode';

/** The codec's versioned payload at the start of a bare hash: `#x1.…`. */
const BARE_LINK = /^#x\d+\./;

/** `#decode/<payload>` for a link payload. */
export function decodeHash(payload: string): string {
  return `${DECODE_HASH}/${payload}`;
}

/** The link payload of a hash, or null when the hash carries no experiment. */
export function linkPayload(hash: string): string | null {
  const prefix = `${DECODE_HASH}/`;
  if (hash.startsWith(prefix)) return hash.length > prefix.length ? hash.slice(prefix.length) : null;
  return BARE_LINK.test(hash) ? hash.slice(1) : null;
}

/** Whether a hash opens the Decode tab (with or without a link). */
export function isDecodeHash(hash: string): boolean {
  return hash === DECODE_HASH || linkPayload(hash) !== null || hash === `${DECODE_HASH}/`;
}

/** The full share URL of a payload on this page (origin, path and query kept). */
export function shareUrl(
  payload: string,
  page: { origin: string; pathname: string; search: string },
): string {
  return `${page.origin}${page.pathname}${page.search}${decodeHash(payload)}`;
}
