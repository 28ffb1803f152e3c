// Guards that turn a hang into a clear test failure (not timing assertions).

/** `promise`'s value, or a hang report after `seconds` (a guard, not a timing assertion). */
export async function within<T>(promise: Promise<T>, what: string, seconds = 30): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle within ${seconds} s (hang)`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error `promise` rejects with, or null if it resolves. */
export function settled(promise: Promise<unknown>, what: string): Promise<unknown> {
  return within(
    promise.then(
      () => null,
      (error: unknown) => error,
    ),
    what,
  );
}
