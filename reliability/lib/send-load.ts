// Steady OTP traffic from k6/otp-sends.ts against one service, started in the background while a scenario
// breaks something and read back afterwards as k6's requests, refusals and summary.
import type { SeededTenant } from "@otp-lab/local-stack/app-cli";
import type { K6Refusal, K6Request, K6SendsSummary } from "./k6.ts";
import { readK6Refusals, readK6Requests, readK6Summary, startK6 } from "./k6.ts";
import type { ScenarioContext } from "./scenario.ts";

export interface SendLoadOptions {
  rate: number;
  durationS: number;
  /** 4 digits: every request goes to a fresh number starting with them. */
  phonePrefix: string;
  /** Each request's X-Request-ID is <ridPrefix>-<iteration>. */
  ridPrefix: string;
  /** send-verify: odd iterations verify a wrong code for a number with none pending (422). */
  mix?: "send" | "send-verify";
  /** Requests at most: a fixed batch at an open-model rate. */
  limit?: number;
  /** Distinguishes the files of several loads in one scenario. */
  name?: string;
}

export interface SendLoadResult {
  exit: number | null;
  /** The sends and verifies k6 made. */
  requests: K6Request[];
  /** The answers other than the expected one, with what k6 saw of them. */
  refusals: K6Refusal[];
  /** What otp-sends.ts' handleSummary wrote: read on demand, a k6 that failed may not have written it. */
  summary(): K6SendsSummary;
}

/** Starts the load; the tenants' keys are taken in turn. */
export function startSendLoad(
  { workDir, cleanup }: Pick<ScenarioContext, "workDir" | "cleanup">,
  target: { url: string },
  tenants: SeededTenant | SeededTenant[],
  options: SendLoadOptions,
): { finished(): Promise<SendLoadResult> } {
  const keys = [tenants].flat().map((tenant) => tenant.apiKey);
  const k6 = startK6({
    dir: workDir,
    cleanup,
    script: "otp-sends.ts",
    name: options.name,
    env: {
      BASE_URL: target.url,
      API_KEY: keys.join(","),
      RATE: String(options.rate),
      DURATION_S: String(options.durationS),
      PHONE_PREFIX: options.phonePrefix,
      RID_PREFIX: options.ridPrefix,
      MIX: options.mix ?? "send",
      ...(options.limit === undefined ? {} : { LIMIT: String(options.limit) }),
    },
  });
  return {
    async finished() {
      const exit = await k6.process.exited;
      return {
        exit,
        requests: readK6Requests(k6.csvFile, ["otp-send", "otp-verify"]),
        refusals: readK6Refusals(k6.csvFile),
        summary: () => readK6Summary(k6),
      };
    },
  };
}

/** `total` sends at `rate` (k6 runs at least a second), waited for. */
export function sendBatch(
  context: Pick<ScenarioContext, "workDir" | "cleanup">,
  target: { url: string },
  tenant: SeededTenant,
  options: { total: number; rate: number; phonePrefix: string; ridPrefix: string },
): Promise<SendLoadResult> {
  const { total, ...rest } = options;
  return startSendLoad(context, target, tenant, {
    ...rest,
    durationS: Math.max(1, Math.ceil(total / options.rate)),
    limit: total,
  }).finished();
}

/** A send answered 200 and a verify of a wrong code 422: what otp-sends.ts expects when nothing is broken. */
export function answeredAsExpected(request: K6Request): boolean {
  return request.status === (request.name === "otp-send" ? 200 : 422);
}
