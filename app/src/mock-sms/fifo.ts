// A first-in first-out queue with O(1) amortised push and shift (Array#shift is O(n)), read newest first.

export interface Fifo<T> {
  readonly size: number;
  push(item: T): void;
  /** Removes and returns the oldest item. */
  shift(): T | undefined;
  newestFirst(limit?: number): T[];
}

/**
 * Compacting once the consumed slots are at least half the array keeps shift amortised O(1); the
 * small floor only avoids copying tiny arrays. It stays small because the store holds one queue per
 * recipient, and tens of thousands of them each keeping a long dead prefix add up.
 */
const MIN_COMPACTION = 32;

export function createFifo<T>(): Fifo<T> {
  let items: Array<T | undefined> = [];
  let head = 0;
  return {
    get size() {
      return items.length - head;
    },
    push(item) {
      items.push(item);
    },
    shift() {
      if (head === items.length) return undefined;
      const item = items[head];
      // Drop the reference at once so an evicted item can be collected before the next compaction.
      items[head] = undefined;
      head += 1;
      if (head === items.length) {
        items = [];
        head = 0;
      } else if (head >= MIN_COMPACTION && head * 2 >= items.length) {
        items = items.slice(head);
        head = 0;
      }
      return item;
    },
    newestFirst(limit = Number.POSITIVE_INFINITY) {
      const result: T[] = [];
      for (let index = items.length - 1; index >= head && result.length < limit; index -= 1) result.push(items[index] as T);
      return result;
    },
  };
}
