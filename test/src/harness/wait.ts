/**
 * Waiting for conditions instead of sleeping: tests run on loaded machines, so
 * every wait polls a condition under a generous deadline.
 */

/** Generous default deadline for anything a test waits for. */
export const WAIT_MS = 30_000;

/**
 * Polls `condition` until it returns true (or a value other than false/undefined,
 * which is answered). A throw from `condition` aborts the wait at once.
 */
export async function waitFor<T>(
  condition: () => T | false | undefined | Promise<T | false | undefined>,
  what: string,
  describe: () => string = () => "",
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    const value = await condition();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(100, delay * 2);
  }
}
