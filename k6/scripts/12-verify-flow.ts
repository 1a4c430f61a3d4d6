// The full verify flow: each iteration verifies its own code, sent and read from the mock SMS provider in
// setup() (not measured), so every answer is a 200 "approved" and no code is used twice across plateaus.
import { defineBenchmark, uniqueIterationIndex } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";
import { assertVerifyPlanFits, codeAt, type PreparedCodes, prepareCodes, setupTimeoutFor } from "../lib/otp-codes.ts";
import { verifyPhone } from "../lib/otp-data.ts";
import { loadTenants, type Tenant } from "../lib/tenants.ts";

const tenants = loadTenants();
const url = `${config.baseUrl}/v1/otp/verify`;
const checks = { approved: bodyIs((body) => body.status === "approved") };

const bench = defineBenchmark<PreparedCodes>({
  script: "12-verify-flow",
  endpoint: "POST /v1/otp/verify",
  expectedLatencyMs: 8,
  setupTimeoutS: setupTimeoutFor,
  setup: (plan) => prepareCodes(plan, tenants),
  iteration(prepared) {
    const index = uniqueIterationIndex();
    const tenant = tenants[index % tenants.length] as Tenant;
    request({
      name: "otp-verify",
      method: "POST",
      url,
      headers: { authorization: tenant.authorization },
      json: { phone: verifyPhone(prepared.phoneBase, index), code: codeAt(prepared, index) },
      checks,
    });
  },
});
// Refuse a plan that cannot work (no SMS_URL, too many codes, longer than the codes live) before setup sends anything.
assertVerifyPlanFits(bench.plan);

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
