// PostgreSQL writes alone: one single-row INSERT of fixed data per request.
import { defineBenchmark } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";

const url = `${config.baseUrl}/layers/insert`;
const checks = { "returned the row id": bodyIs((body) => typeof body.id === "string") };

const bench = defineBenchmark({
  script: "10-insert-capacity",
  endpoint: "POST /layers/insert",
  expectedLatencyMs: 5,
  iteration() {
    request({ name: "layer-insert", method: "POST", url, expectStatus: 201, checks });
  },
});

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
