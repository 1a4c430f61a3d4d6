// Concurrency, not CPU: each request waits DELAY_MS on a timer. Little's law makes the VUs in flight
// rate × latency; the summary sets the VUs each iteration saw busy against that product. Thresholds
// allow DELAY_MS on top of the latency SLO.
import exec from "k6/execution";
import { Trend } from "k6/metrics";
import { defineBenchmark } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";

const url = `${config.baseUrl}/delayed-hello?ms=${config.delayMs}`;
const checks = { "waited DELAY_MS": bodyIs((body) => body.delayedMs === config.delayMs) };
/** Busy VUs of this instance as each iteration starts, itself included. */
const vusBusy = new Trend("vus_busy");

const bench = defineBenchmark({
  script: "03-delayed-hello",
  endpoint: `GET /delayed-hello?ms=${config.delayMs}`,
  expectedLatencyMs: config.delayMs + 2,
  latencyAllowanceMs: config.delayMs,
  trends: [
    // In flight = λ·W (offered rate × mean latency); an iteration also counts itself, hence + 1.
    { metric: "vus_busy", label: "VUs busy", expected: { label: "λ·W+1", value: (p) => (p.offeredRps * p.latencyMs.avg) / 1000 + 1 } },
  ],
  iteration() {
    vusBusy.add(exec.instance.vusActive);
    request({ name: "delayed-hello", url, checks });
  },
});

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
