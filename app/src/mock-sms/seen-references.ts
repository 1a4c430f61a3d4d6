// Remembers the references (idempotency keys) of accepted messages and the id each was given, so a
// re-send is answered with the original message instead of delivering a second one. Bounded like
// the message store: a load test sends millions of distinct references.
import { createFifo } from "./fifo";

export interface SeenReferences {
  /** The id of the message accepted with this reference, if it is still remembered. */
  get(reference: string): string | undefined;
  remember(reference: string, messageId: string): void;
  clear(): void;
}

export function createSeenReferences(capacity: number): SeenReferences {
  let seen = new Map<string, string>();
  // The eviction order lives in its own queue: reading a Map's oldest entry (keys().next())
  // walks past every deleted slot, which made each eviction O(n) under sustained load.
  let order = createFifo<string>();
  return {
    get: (reference) => seen.get(reference),
    remember(reference, messageId) {
      // Already known: its message was evicted from the store, and this one replaces it.
      const known = seen.has(reference);
      seen.set(reference, messageId);
      if (known) return;
      order.push(reference);
      if (order.size > capacity) seen.delete(order.shift() as string);
    },
    clear() {
      seen = new Map<string, string>();
      order = createFifo<string>();
    },
  };
}
