// OtpStore on Redis: each flow is one Lua script, so checks and writes are atomic in one round trip.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IssueRequest, IssueResult, OtpStore, RateLimitScope, ShedReason, VerifyRequest, VerifyResult } from "../domain/otp/otp-store";
import { type RedisClient, withRedis } from "./redis";

/** Same depth from src/stores and dist/stores, so both find the scripts. */
const LUA_DIR = join(__dirname, "..", "..", "lua");

type Reply = Array<string | number>;

declare module "ioredis" {
  interface RedisCommander<Context> {
    issueOtp(...args: Array<string | number>): Promise<Reply> & Context;
    verifyOtp(...args: Array<string | number>): Promise<Reply> & Context;
  }
}

export function createRedisOtpStore(redis: RedisClient, streamKey: string): OtpStore {
  // defineCommand sends EVALSHA and falls back to EVAL once when the script cache is empty.
  redis.defineCommand("issueOtp", { numberOfKeys: 5, lua: readFileSync(join(LUA_DIR, "issue-otp.lua"), "utf8") });
  redis.defineCommand("verifyOtp", { numberOfKeys: 2, lua: readFileSync(join(LUA_DIR, "verify-otp.lua"), "utf8") });

  return {
    async issue(request: IssueRequest): Promise<IssueResult> {
      const reply = await withRedis(() =>
        redis.issueOtp(
          request.otpKey,
          request.phoneRateKey,
          request.tenantDailyKey,
          streamKey,
          request.failuresKey,
          request.codeHmac,
          request.otpId,
          request.ttlSeconds,
          request.phoneSendLimit,
          request.phoneSendWindowSeconds,
          request.dailySendCap,
          request.dailyKeyTtlSeconds,
          request.maxBacklog,
          request.maxBacklogAgeMs,
          ...Object.entries(request.job).flat(),
        ),
      );
      switch (reply[0]) {
        case "accepted":
          return { outcome: "accepted" };
        case "locked":
          return { outcome: "locked", retryAfterSeconds: Number(reply[1]) };
        case "shed":
          return { outcome: "shed", reason: reply[1] as ShedReason };
        default:
          return { outcome: "rate_limited", scope: reply[1] as RateLimitScope, retryAfterSeconds: Number(reply[2]) };
      }
    },

    async verify(request: VerifyRequest): Promise<VerifyResult> {
      const reply = await withRedis(() =>
        redis.verifyOtp(
          request.otpKey,
          request.failuresKey,
          request.codeHmac,
          request.failuresPerLockout,
          request.maxConsecutiveFailures,
          request.lockoutSeconds,
          request.lockoutMaxSeconds,
          request.failureWindowSeconds,
        ),
      );
      switch (reply[0]) {
        case "approved":
          return { outcome: "approved", otpId: String(reply[1]) };
        case "locked":
          return { outcome: "locked", retryAfterSeconds: Number(reply[1]) };
        default:
          return { outcome: "invalid", attemptsLeft: Number(reply[1]) };
      }
    },
  };
}
