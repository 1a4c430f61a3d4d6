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
  message: StoredMessage;
  /** True when an earlier accepted message carried the same reference. */
  duplicate: boolean;
}

export interface MessageStore {
  readonly size: number;
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

  function evictOldest(): void {
    const oldest = all.shift();
    if (!oldest) return;
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
      const message: StoredMessage = {
        id: randomUUID(),
        to: incoming.to,
        from: incoming.from,
        text: incoming.text,
        reference: incoming.reference,
        receivedAt: new Date().toISOString(),
      };
      const duplicate = message.reference !== null && references.remember(message.reference);
      all.push(message);
      let inbox = byRecipient.get(message.to);
      if (!inbox) {
        inbox = createFifo<StoredMessage>();
        byRecipient.set(message.to, inbox);
      }
      inbox.push(message);
      while (all.size > maxStored) evictOldest();
      return { message, duplicate };
    },
    newestFirst(query = {}) {
      const source = query.to === undefined ? all : byRecipient.get(query.to);
      return source?.newestFirst(query.limit) ?? [];
    },
    clear() {
      all = createFifo<StoredMessage>();
      byRecipient.clear();
      references.clear();
    },
  };
}
