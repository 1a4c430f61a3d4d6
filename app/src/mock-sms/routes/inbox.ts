// The phones' side: read what was delivered to a number (how tests and k6 obtain a code), or clear it.
import type { Router } from "express";
import { z } from "zod";
import { mountRoute } from "../../http/route";
import { parseRequest } from "../../http/validation";
import type { MessageStore } from "../message-store";
import { e164 } from "../phone-number";

export const MAX_INBOX_LIMIT = 1000;

const inboxQuery = z.object({
  // An unencoded "+" in a query string decodes to a space; accept it so `?to=+1555…` works as typed.
  to: z
    .string()
    .transform((to) => to.replace(/^ /, "+"))
    .pipe(e164)
    .optional(),
  limit: z.coerce.number().int().min(1).max(MAX_INBOX_LIMIT).default(50),
});

export function registerInboxRoutes(router: Router, store: MessageStore): void {
  mountRoute(router, "/messages", {
    get: (req, res) => {
      const { to, limit } = parseRequest(inboxQuery, req.query, "query");
      res.set("Cache-Control", "no-store").json({ messages: store.newestFirst({ to, limit }) });
    },
    delete: (_req, res) => {
      store.clear();
      res.status(204).end();
    },
  });
}
