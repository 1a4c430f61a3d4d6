// Remembers the references (idempotency keys) of accepted messages, so a re-send is recognised.
// Bounded like the message store: a load test sends millions of distinct references.

export interface SeenReferences {
  /** Records the reference and says whether it had been recorded before. */
  remember(reference: string): boolean;
  clear(): void;
}

export function createSeenReferences(capacity: number): SeenReferences {
  // A Set iterates in insertion order, so its first value is always the oldest reference.
  const seen = new Set<string>();
  return {
    remember(reference) {
      if (seen.has(reference)) return true;
      seen.add(reference);
      if (seen.size > capacity) seen.delete(seen.values().next().value as string);
      return false;
    },
    clear() {
      seen.clear();
    },
  };
}
