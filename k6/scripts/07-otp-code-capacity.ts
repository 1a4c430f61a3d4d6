// CPU alone: what the send flow computes per request (a code from the CSPRNG and its HMAC), no I/O.
import { defineBenchmark } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";

const url = `${config.baseUrl}/layers/cpu`;
const checks = { "made a 6-digit code": bodyIs((body) => body.length === 6) };

const bench = defineBenchmark({
  script: "07-otp-code-capacity",
  endpoint: "GET /layers/cpu",
  expectedLatencyMs: 2,
  iteration() {
    request({ name: "layer-cpu", url, checks });
  },
});

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
