// The full send flow: authenticate, rate-limit, generate, store and enqueue an OTP, to a fresh random number
// each time (the tenants are seeded with limits far above any repeat), spread over the tenants.
import { defineBenchmark } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";
import { randomPhone } from "../lib/otp-data.ts";
import { anyTenant, loadTenants } from "../lib/tenants.ts";

const tenants = loadTenants();
const url = `${config.baseUrl}/v1/otp/send`;
const checks = { "returned the OTP id": bodyIs((body) => typeof body.id === "string") };

const bench = defineBenchmark({
  script: "11-send-flow",
  endpoint: "POST /v1/otp/send",
  expectedLatencyMs: 10,
  iteration() {
    const tenant = anyTenant(tenants);
    request({
      name: "otp-send",
      method: "POST",
      url,
      headers: { authorization: tenant.authorization },
      json: { phone: randomPhone() },
      checks,
    });
  },
});

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
