// Delivery spans (the DeliveryTracing port): one CONSUMER span per job, continuing the trace the job
// was queued in (its traceparent field), active while the job runs so the provider call is its child.
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { DeliveryTracing } from "../domain/sms-delivery/ports";

export interface SmsDeliveryTracingOptions {
  streamKey: string;
  consumerGroup: string;
}

export function createSmsDeliveryTracing(options: SmsDeliveryTracingOptions): DeliveryTracing {
  const tracer = trace.getTracer("otp-service/sms-worker");
  return {
    inDeliverySpan(job, run) {
      const parent = propagation.extract(ROOT_CONTEXT, { traceparent: job.fields.traceparent ?? "" });
      const attributes = {
        "messaging.system": "redis",
        "messaging.operation.type": "process",
        "messaging.destination.name": options.streamKey,
        "messaging.consumer.group.name": options.consumerGroup,
        "messaging.message.id": job.id,
      };
      return tracer.startActiveSpan("sms.deliver", { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
        try {
          await run({
            setAttributes: (values) => span.setAttributes(values),
            addEvent: (name, values) => span.addEvent(name, values),
            fail: (message) => span.setStatus({ code: SpanStatusCode.ERROR, message }),
            recordException: (error) => span.recordException(error as Error),
          });
        } finally {
          span.end();
        }
      });
    },
  };
}
