// The Speculative tab's place in the URL hash (pure, unit-tested).
//
//   #speculative             the tab, with whatever setup the page holds
//   #speculative/<payload>   the tab with a setup: <payload> is what encodeSpeculativeLink returns
//                            (src/share/speculative-link.ts: `x<N>.<base64url>`, URL-safe)
//
// While the tab is shown the page keeps the hash at `#speculative/<payload>` of the current setup
// (history.replaceState), so the address bar is always a share link; a pasted hash is read on load
// and on `hashchange`, and one that does not decode stays readable until the setup is edited.

export const SPECULATIVE_HASH = '#speculative';

export function speculativeHash(payload: string): string {
  return `${SPECULATIVE_HASH}/${payload}`;
}

/** The link payload of a hash, or null when it carries none. */
export function speculativeLinkPayload(hash: string): string | null {
  const prefix = `${SPECULATIVE_HASH}/`;
  return hash.startsWith(prefix) && hash.length > prefix.length ? hash.slice(prefix.length) : null;
}

/** Whether a hash opens the Speculative tab (with or without a link). */
export function isSpeculativeHash(hash: string): boolean {
  return hash === SPECULATIVE_HASH || hash.startsWith(`${SPECULATIVE_HASH}/`);
}

/** The full share URL of a payload on this page (origin, path and query kept). */
export function speculativeShareUrl(
  payload: string,
  page: { origin: string; pathname: string; search: string },
): string {
  return `${page.origin}${page.pathname}${page.search}${speculativeHash(payload)}`;
}
