// The Decode tab's banner: a link that could not be opened, a run the page or the worker refused,
// a request that failed, a trace file that could not be read. The message is shown as is.
import { useAppStore } from '../../store';

export function ErrorBanner() {
  const linkError = useAppStore((s) => s.decode.linkError);
  const error = useAppStore((s) => s.decode.error);
  const dismiss = useAppStore((s) => s.dismissDecodeError);
  if (!linkError && !error) return null;
  return (
    <div className="banner banner-error decode-banner" role="alert" data-testid="decode-error">
      <div>
        {linkError ? (
          <p data-testid="decode-link-error">
            <strong>Invalid link.</strong> {linkError}
          </p>
        ) : null}
        {error ? <p data-testid="decode-run-error">{error}</p> : null}
      </div>
      <button type="button" className="button-ghost" data-testid="decode-error-dismiss" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}
