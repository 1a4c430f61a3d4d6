// How long flushing the traces may take at shutdown. Kept apart from tracing.ts (no OpenTelemetry
// imports) so the Helm chart's generator can check its grace margin against it.

/**
 * The most the exporter's shutdown may take (flush of buffered spans included). It runs last, after the
 * drain and both SHUTDOWN_TIMEOUT_MS budgets, so it must fit inside the Helm chart's grace margin
 * (`shutdown.graceMarginSeconds`, which the chart's schema keeps at or above this plus a second to exit).
 * The SDK's defaults (30 s export timeout, 10 s per request) would outlast the grace period when the
 * collector stalls, and the kubelet would SIGKILL the process mid-flush.
 */
export const TRACING_SHUTDOWN_BUDGET_MS = 3_000;
/** One export request (the OTLP exporter's timeoutMillis) and one export of the batch processor. */
export const OTLP_EXPORT_TIMEOUT_MS = 2_000;
