// Layer 0, the physical floor: node:http alone (k6/smoke/bare-hello-server.ts, started by the runner),
// no framework. BASE_URL points at that server, not at the service.
import { defineBenchmark } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";

const url = `${config.baseUrl}/`;
const checks = { "body is hello": bodyIs((body) => body.message === "hello") };

const bench = defineBenchmark({
  script: "01-bare-node-hello",
  endpoint: "GET / (bare node:http)",
  expectedLatencyMs: 1,
  iteration() {
    request({ name: "bare-hello", url, checks });
  },
});

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
