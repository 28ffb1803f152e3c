// The Evaluate tab's place in the URL hash (pure, unit-tested).
//
//   #evaluate             the tab, with whatever evaluation the page holds
//   #evaluate/<payload>   the tab with an evaluation: <payload> is what encodeEvaluationLink returns
//                         (src/evaluate/link.ts: `x<N>.<base64url>`)
// A pasted hash is read on load and on `hashchange`; Copy link writes the current config's.

export const EVALUATE_HASH = '#evaluate';

export function evaluateHash(payload: string): string {
  return `${EVALUATE_HASH}/${payload}`;
}

/** The link payload of a hash, or null when it carries none. */
export function evaluateLinkPayload(hash: string): string | null {
  const prefix = `${EVALUATE_HASH}/`;
  return hash.startsWith(prefix) && hash.length > prefix.length ? hash.slice(prefix.length) : null;
}

/** Whether a hash opens the Evaluate tab (with or without a link). */
export function isEvaluateHash(hash: string): boolean {
  return hash === EVALUATE_HASH || hash.startsWith(`${EVALUATE_HASH}/`);
}
