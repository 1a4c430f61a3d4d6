// POST /v1/messages: the gateway endpoint. Validates, waits the injected latency, then either fails
// as injected or stores the message the way a phone would receive it. The reference (body, or the
// Idempotency-Key header) is an idempotency key: a message is delivered once per key.
import { setTimeout as sleep } from "node:timers/promises";
import type { Request, Response, Router } from "express";
import { z } from "zod";
import { HttpProblem } from "../../http/problem";
import { mountRoute } from "../../http/route";
import { parseRequest } from "../../http/validation";
import { maskPhone } from "../../shared/mask-phone";
import type { Logger } from "../../telemetry/logger";
import { type FaultControl, type Faults, faultHeadersSchema, faultsForRequest, planFaults } from "../faults";
import { readJsonBody } from "../json-body";
import type { IncomingMessage, MessageStore } from "../message-store";
import { e164 } from "../phone-number";
import type { SendMetrics } from "../send-metrics";

export const INJECTED_FAILURE_TYPE = "urn:otp-lab:problem:mock-sms-injected-failure";

const reference = z.string().min(1).max(128);

const sendMessageBody = z.object({
  to: e164,
  from: z.string().min(1).max(11),
  text: z.string().min(1).max(1600),
  reference: reference.optional(),
});

const idempotencyHeader = z.object({ "idempotency-key": reference.optional() });

export interface SendMessageDependencies {
  store: MessageStore;
  faults: FaultControl;
  metrics: SendMetrics;
  logger: Logger;
  random: () => number;
}

export function registerSendMessageRoute(router: Router, deps: SendMessageDependencies): void {
  mountRoute(router, "/v1/messages", {
    post: async (req, res) => {
      deps.metrics.received();
      let request: SendRequest;
      try {
        request = await readSendRequest(req, res, deps.faults.current());
      } catch (error) {
        deps.metrics.outcome("rejected");
        throw error;
      }
      const { incoming, faults } = request;

      const plan = planFaults(faults, deps.random);
      deps.metrics.injectedLatency(plan.delayMs);
      // A timer, never a busy wait: other requests keep being served while this one waits.
      if (plan.delayMs > 0) await sleep(plan.delayMs);

      if (plan.fail) {
        deps.metrics.outcome("failed");
        deps.logger.debug({ to: maskPhone(incoming.to), status: faults.errorStatus }, "injected failure");
        throw new HttpProblem(faults.errorStatus, "Injected Failure", {
          type: INJECTED_FAILURE_TYPE,
          detail: `The mock SMS provider failed this request on purpose (error rate ${faults.errorRate}).`,
        });
      }
      // Accepted even when the client gave up waiting (its timeout was shorter than the injected
      // latency): as with a real provider, the message went out, and the idempotency key remembers it.
      const { message, duplicate } = deps.store.accept(incoming);
      deps.metrics.outcome("accepted", { duplicate });
      deps.logger.debug({ id: message.id, to: maskPhone(message.to), duplicate }, "message accepted");
      // A re-send with a known key gets the original answer, marked as a replay (as Stripe-style APIs do).
      if (duplicate) res.set("Idempotent-Replayed", "true");
      res.status(202).json({ id: message.id, status: "accepted" });
    },
  });
}

interface SendRequest {
  incoming: IncomingMessage;
  /** The configured faults with this request's X-Mock-* overrides applied. */
  faults: Faults;
}

/** The reference may come in the body or, as HTTP clients usually send it, as an Idempotency-Key header. */
async function readSendRequest(req: Request, res: Response, configured: Faults): Promise<SendRequest> {
  const message = parseRequest(sendMessageBody, await readJsonBody(req, res), "body");
  const idempotencyKey = parseRequest(idempotencyHeader, req.headers, "headers")["idempotency-key"];
  return {
    incoming: { to: message.to, from: message.from, text: message.text, reference: message.reference ?? idempotencyKey ?? null },
    faults: faultsForRequest(configured, parseRequest(faultHeadersSchema, req.headers, "headers")),
  };
}
