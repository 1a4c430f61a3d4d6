// Remembers the references (idempotency keys) of accepted messages, so a re-send is recognised.
// Bounded like the message store: a load test sends millions of distinct references.
import { createFifo } from "./fifo";

export interface SeenReferences {
  /** Records the reference and says whether it had been recorded before. */
  remember(reference: string): boolean;
  clear(): void;
}

export function createSeenReferences(capacity: number): SeenReferences {
  let seen = new Set<string>();
  // The eviction order lives in its own queue: reading a Set's oldest entry (values().next())
  // walks past every deleted slot, which made each eviction O(n) under sustained load.
  let order = createFifo<string>();
  return {
    remember(reference) {
      if (seen.has(reference)) return true;
      seen.add(reference);
      order.push(reference);
      if (order.size > capacity) seen.delete(order.shift() as string);
      return false;
    },
    clear() {
      seen = new Set<string>();
      order = createFifo<string>();
    },
  };
}
