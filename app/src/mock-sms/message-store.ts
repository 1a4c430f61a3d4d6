// What the "phones" received: a bounded FIFO of accepted messages, indexed by recipient so reading
// one number's inbox costs O(its messages), not a scan of the whole store.
import { randomUUID } from "node:crypto";
import { createFifo, type Fifo } from "./fifo";
import { createSeenReferences } from "./seen-references";

export interface StoredMessage {
  id: string;
  to: string;
  from: string;
  text: string;
  reference: string | null;
  /** ISO 8601. */
  receivedAt: string;
}

export type IncomingMessage = Pick<StoredMessage, "to" | "from" | "text" | "reference">;

export interface AcceptedMessage {
  /** For a duplicate, the message accepted first (its id is what the provider answered then). */
  message: StoredMessage;
  /** True when an earlier accepted message carried the same reference: nothing new was stored or delivered. */
  duplicate: boolean;
}

export interface MessageStore {
  readonly size: number;
  /** Stores the message, unless its reference was accepted before: a provider honours its idempotency key. */
  accept(incoming: IncomingMessage): AcceptedMessage;
  /** Newest first; all recipients when `to` is omitted. */
  newestFirst(query?: { to?: string | undefined; limit?: number | undefined }): StoredMessage[];
  /** Forgets every message and every seen reference. */
  clear(): void;
}

export function createMessageStore(maxStored: number): MessageStore {
  let all = createFifo<StoredMessage>();
  const byRecipient = new Map<string, Fifo<StoredMessage>>();
  const references = createSeenReferences(maxStored);
  /** Messages by id, for answering a re-send; entries leave with the message they index. */
  const byId = new Map<string, StoredMessage>();

  function evictOldest(): void {
    const oldest = all.shift();
    if (!oldest) return;
    byId.delete(oldest.id);
    const inbox = byRecipient.get(oldest.to);
    // Both queues grow in the same order, so the globally oldest is also the oldest in its inbox.
    inbox?.shift();
    if (inbox?.size === 0) byRecipient.delete(oldest.to);
  }

  return {
    get size() {
      return all.size;
    },
    accept(incoming) {
      const firstId = incoming.reference === null ? undefined : references.get(incoming.reference);
      const first = firstId === undefined ? undefined : byId.get(firstId);
      if (first) return { message: first, duplicate: true };
      const message: StoredMessage = {
        id: randomUUID(),
        to: incoming.to,
        from: incoming.from,
        text: incoming.text,
        reference: incoming.reference,
        receivedAt: new Date().toISOString(),
      };
      if (message.reference !== null) references.remember(message.reference, message.id);
      byId.set(message.id, message);
      all.push(message);
      let inbox = byRecipient.get(message.to);
      if (!inbox) {
        inbox = createFifo<StoredMessage>();
        byRecipient.set(message.to, inbox);
      }
      inbox.push(message);
      while (all.size > maxStored) evictOldest();
      return { message, duplicate: false };
    },
    newestFirst(query = {}) {
      const source = query.to === undefined ? all : byRecipient.get(query.to);
      return source?.newestFirst(query.limit) ?? [];
    },
    clear() {
      all = createFifo<StoredMessage>();
      byRecipient.clear();
      byId.clear();
      references.clear();
    },
  };
}
