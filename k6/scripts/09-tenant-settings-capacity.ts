// PostgreSQL reads alone: the send flow's tenant-settings SELECT by API key (uncached), spread over the tenants.
import { defineBenchmark } from "../lib/benchmark.ts";
import { config } from "../lib/env.ts";
import { bodyIs, request } from "../lib/http.ts";
import { anyTenant, loadTenants } from "../lib/tenants.ts";

const tenants = loadTenants();
const url = `${config.baseUrl}/layers/select`;

const bench = defineBenchmark({
  script: "09-tenant-settings-capacity",
  endpoint: "GET /layers/select",
  expectedLatencyMs: 3,
  iteration() {
    const tenant = anyTenant(tenants);
    request({
      name: "layer-select",
      url,
      headers: { authorization: tenant.authorization },
      checks: { "found the caller's tenant": bodyIs((body) => body.tenantId === tenant.id) },
    });
  },
});

export const options = bench.options;
export const setup = bench.setup;
export default bench.iteration;
export const handleSummary = bench.handleSummary;
