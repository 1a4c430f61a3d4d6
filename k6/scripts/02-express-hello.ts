// Layer 1, the framework floor: the service's cheapest route through Express and every middleware.
import { defineBenchmark } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";

const url = `${config.baseUrl}/hello`;
const checks = { "body is hello": bodyIs((body) => body.message === "hello") };

const bench = defineBenchmark({
  script: "02-express-hello",
  endpoint: "GET /hello",
  expectedLatencyMs: 2,
  iteration() {
    request({ name: "hello", url, checks });
  },
});

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
