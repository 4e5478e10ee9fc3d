/**
 * Process-wide cleanup registry. Anything that must not outlive the process (qemu, podman
 * containers, temp dirs, mounts) registers a cleanup; `runMain` runs them on success, failure,
 * SIGINT and SIGTERM. Cleanups run last-registered first, each at most once.
 */
export type Cleanup = () => void | Promise<void>;

const cleanups: { fn: Cleanup; label: string }[] = [];

/** Register a cleanup; returns a function that unregisters it (call it once you cleaned up yourself). */
export function onCleanup(fn: Cleanup, label = 'cleanup'): () => void {
  const entry = { fn, label };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Run every registered cleanup (LIFO), collecting failures instead of stopping at the first. */
export async function runCleanups(onError?: (label: string, err: unknown) => void): Promise<void> {
  while (cleanups.length > 0) {
    const entry = cleanups.pop();
    if (!entry) break;
    try {
      await entry.fn();
    } catch (err) {
      onError?.(entry.label, err);
    }
  }
}

/** How many cleanups are pending (tests use this to prove nothing leaked). */
export function pendingCleanups(): number {
  return cleanups.length;
}
