// The route template on the HTTP server span, without the Express instrumentation.
import { context } from "@opentelemetry/api";
import { getRPCMetadata, RPCType } from "@opentelemetry/core";

/**
 * Names the active HTTP server span after the route template (`POST /v1/otp/send`) and sets its
 * `http.route`: the HTTP instrumentation reads the template from the request's RPC metadata when the
 * response ends, as it did when the Express instrumentation put it there. A no-op outside a traced request.
 */
export function recordHttpRoute(route: string): void {
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}
