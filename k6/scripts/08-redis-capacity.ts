// Redis alone: one SET with a TTL and one GET of it per request (two round trips).
import { defineBenchmark } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";

const url = `${config.baseUrl}/layers/redis`;
const checks = { "read its write": bodyIs((body) => body.ok === true) };

const bench = defineBenchmark({
  script: "08-redis-capacity",
  endpoint: "GET /layers/redis",
  expectedLatencyMs: 3,
  iteration() {
    request({ name: "layer-redis", url, checks });
  },
});

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
