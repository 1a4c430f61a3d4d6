// HTTP server and client spans, made here instead of by @opentelemetry/instrumentation-http.
//
// Why: profiles put the stock instrumentation at a third of an access-logged /hello and a quarter
// of the API's share of a send, on every request whether sampled or not: it parses the URL and
// builds every attribute before the sampler decides, binds each request and response emitter so
// that every listener runs through an extra context switch, and wraps http.request. Here a span
// that is not sampled costs its ids and one context; attributes are built only for recorded spans.
// The spans keep the HTTP semantic conventions (names `GET /hello`, http.route, status codes,
// error.type) and the W3C trace context: incoming traceparent continued, outgoing one injected.
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from "node:http";
import { type Attributes, context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { RPCType, setRPCMetadata, suppressTracing } from "@opentelemetry/core";
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from "@opentelemetry/semantic-conventions";

const SCOPE = "otp-service/http";
/** Kubelet probes and Prometheus scrapes would otherwise drown the traces that matter. */
const UNTRACED_PATHS = new Set(["/live", "/ready", "/health", "/metrics"]);
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);

let enabled = false;

/** Called by startTracing once a tracer provider is registered; until then nothing here traces. */
export function enableHttpSpans(): void {
  enabled = true;
}

/**
 * Wraps a request listener so every request runs inside a SERVER span that continues the caller's
 * traceparent (or, when the caller is not trusted, links to it). The route template comes from recordHttpRoute() (http-route.ts) while the request is
 * handled. Without tracing the listener is returned as it is.
 */
export function traceIncomingRequests(listener: RequestListener, options: { trustInboundContext: boolean }): RequestListener {
  if (!enabled) return listener;
  const tracer = trace.getTracer(SCOPE);
  const untraced = suppressTracing(ROOT_CONTEXT);
  return (req, res) => {
    if (UNTRACED_PATHS.has(pathOf(req.url))) {
      context.with(untraced, listener, undefined, req, res);
      return;
    }
    const method = normalizeMethod(req.method);
    const inbound = propagation.extract(ROOT_CONTEXT, req.headers);
    // An untrusted caller must not choose our trace ids or force sampling: its context becomes a
    // link on a trace of our own, so the two can still be joined.
    const callerSpan = options.trustInboundContext ? undefined : trace.getSpanContext(inbound);
    const parent = options.trustInboundContext ? inbound : ROOT_CONTEXT;
    const spanOptions = { kind: SpanKind.SERVER, ...(callerSpan ? { links: [{ context: callerSpan }] } : {}) };
    const span = tracer.startSpan(method === "_OTHER" ? "HTTP" : method, spanOptions, parent);
    const metadata: { type: RPCType.HTTP; span: Span; route?: string } = { type: RPCType.HTTP, span };
    if (span.isRecording()) span.setAttributes(serverRequestAttributes(req, method));
    res.once("close", () => endServerSpan(span, method, res, metadata.route));
    context.with(setRPCMetadata(trace.setSpan(parent, span), metadata), listener, undefined, req, res);
  };
}

function endServerSpan(span: Span, method: string, res: ServerResponse, route: string | undefined): void {
  if (span.isRecording()) {
    if (route !== undefined) {
      span.updateName(`${method === "_OTHER" ? "HTTP" : method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
    }
    if (res.headersSent) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
    if (!res.writableFinished) {
      // The client went away before the response was complete.
      span.setAttribute(ATTR_ERROR_TYPE, "aborted");
      span.setStatus({ code: SpanStatusCode.ERROR, message: "the connection closed before the response was complete" });
    } else if (res.statusCode >= 500) {
      // Server spans are errors for 5xx only: a 4xx is the caller's mistake, answered correctly.
      span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

function serverRequestAttributes(req: IncomingMessage, method: string): Attributes {
  const [host, port] = splitHost(req.headers.host);
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_SCHEME]: "encrypted" in req.socket ? "https" : "http",
    [ATTR_URL_PATH]: pathOf(req.url),
    [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
  };
  if (method !== req.method && req.method) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = req.method;
  if (host) attributes[ATTR_SERVER_ADDRESS] = host;
  if (port) attributes[ATTR_SERVER_PORT] = port;
  if (req.socket.remoteAddress) {
    attributes[ATTR_NETWORK_PEER_ADDRESS] = req.socket.remoteAddress;
    attributes[ATTR_CLIENT_ADDRESS] = req.socket.remoteAddress;
  }
  if (req.socket.remotePort) attributes[ATTR_NETWORK_PEER_PORT] = req.socket.remotePort;
  if (req.headers["user-agent"]) attributes[ATTR_USER_AGENT_ORIGINAL] = req.headers["user-agent"];
  return attributes;
}

export interface ClientSpan {
  /** Headers with the traceparent of this span added (a copy; the given object is left alone). */
  readonly headers: OutgoingHttpHeaders;
  /** Ends the span with the response's status, or with the error that ended the exchange. */
  end(outcome: { status: number } | { error: unknown }): void;
}

/**
 * A CLIENT span for one outgoing request, child of the active span, whose traceparent goes out
 * with the request. Outgoing calls are traced only as part of something (an SMS delivery): without
 * an active span, or without tracing, nothing is recorded and no traceparent is sent.
 */
export function startClientSpan(method: string, url: URL, headers: OutgoingHttpHeaders): ClientSpan {
  const active = enabled ? trace.getActiveSpan() : undefined;
  if (!active) return { headers, end() {} };
  const span = trace.getTracer(SCOPE).startSpan(method, { kind: SpanKind.CLIENT });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  if (span.isRecording()) {
    span.setAttributes({
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_SERVER_ADDRESS]: url.hostname,
      [ATTR_SERVER_PORT]: Number(url.port) || (url.protocol === "https:" ? 443 : 80),
      [ATTR_URL_FULL]: `${url.origin}${url.pathname}`,
    });
  }
  return {
    headers: { ...headers, ...carrier },
    end(outcome) {
      if (span.isRecording()) {
        if ("status" in outcome) {
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
          // Client spans are errors for every 4xx and 5xx: the call did not do what it was for.
          if (outcome.status >= 400) {
            span.setAttribute(ATTR_ERROR_TYPE, String(outcome.status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
        } else {
          const error = outcome.error;
          const code = (error as { code?: unknown } | null)?.code;
          span.setAttribute(ATTR_ERROR_TYPE, typeof code === "string" ? code : error instanceof Error ? error.name : "error");
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        }
      }
      span.end();
    },
  };
}

function normalizeMethod(method: string | undefined): string {
  if (!method) return "GET";
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : "_OTHER";
}

function pathOf(url: string | undefined): string {
  if (!url) return "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function splitHost(host: string | undefined): [string | undefined, number | undefined] {
  if (!host) return [undefined, undefined];
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!match) return [host, undefined];
  return [match[1], match[2] ? Number(match[2]) : undefined];
}
