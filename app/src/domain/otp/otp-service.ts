// The send and verify flows. Knows nothing of HTTP; talks to its store through OtpStore.
import { randomUUID } from "node:crypto";
import { maskPhone } from "../../telemetry/logger";
import { codeHmac, phoneHash, type SecretKeys } from "../secrets";
import { sealJob } from "../sms-job";
import type { Tenant } from "../tenant";
import { generateCode, renderMessage } from "./codes";
import { RateLimitedError } from "./otp-errors";
import { otpKeys, utcDay } from "./otp-keys";
import type { OtpStore, VerifyResult } from "./otp-store";

export interface SendContext {
  requestId: string;
  traceparent: string;
}

export interface SendResult {
  id: string;
  expiresAt: Date;
}

export interface OtpOutcomeCounter {
  send(outcome: string): void;
  verify(outcome: string): void;
}

export interface OtpServiceOptions {
  store: OtpStore;
  keys: SecretKeys;
  lockoutSeconds: number;
  outcomes?: OtpOutcomeCounter;
  now?: () => Date;
}

export interface OtpService {
  send(tenant: Tenant, phone: string, context: SendContext): Promise<SendResult>;
  verify(tenant: Tenant, phone: string, code: string): Promise<VerifyResult>;
}

export function createOtpService(options: OtpServiceOptions): OtpService {
  const now = options.now ?? (() => new Date());
  return {
    async send(tenant, phone, context) {
      const acceptedAt = now();
      const otpId = randomUUID();
      const code = generateCode(tenant.codeLength);
      const hashedPhone = phoneHash(options.keys, tenant.id, phone);
      const { day, secondsLeft } = utcDay(acceptedAt);
      const job = sealJob(
        {
          otpId,
          tenantId: tenant.id,
          requestId: context.requestId,
          traceparent: context.traceparent,
          acceptedAt: acceptedAt.getTime(),
          expiresAt: acceptedAt.getTime() + tenant.codeTtlSeconds * 1000,
          senderId: tenant.senderId,
          phoneHash: hashedPhone,
          phoneMasked: maskPhone(phone),
          phone,
          text: renderMessage(tenant.messageTemplate, code),
        },
        options.keys,
      );
      const result = await options.store.issue({
        otpId,
        otpKey: otpKeys.code(tenant.id, hashedPhone),
        phoneRateKey: otpKeys.phoneRate(tenant.id, hashedPhone),
        tenantDailyKey: otpKeys.tenantDaily(tenant.id, day),
        codeHmac: codeHmac(options.keys, tenant.id, phone, code),
        ttlSeconds: tenant.codeTtlSeconds,
        phoneSendLimit: tenant.phoneSendLimit,
        phoneSendWindowSeconds: tenant.phoneSendWindowSeconds,
        dailySendCap: tenant.dailySendCap,
        dailyKeyTtlSeconds: secondsLeft + 60,
        job,
      });
      if (result.outcome === "rate_limited") {
        options.outcomes?.send(`rate_limited_${result.scope}`);
        throw new RateLimitedError(result.scope, result.retryAfterSeconds);
      }
      options.outcomes?.send("accepted");
      return { id: otpId, expiresAt: new Date(acceptedAt.getTime() + tenant.codeTtlSeconds * 1000) };
    },

    async verify(tenant, phone, code) {
      const hashedPhone = phoneHash(options.keys, tenant.id, phone);
      const result = await options.store.verify({
        otpKey: otpKeys.code(tenant.id, hashedPhone),
        attemptsKey: otpKeys.attempts(tenant.id, hashedPhone),
        // Only HMACs are compared, so how long a comparison takes says nothing about the code.
        codeHmac: codeHmac(options.keys, tenant.id, phone, code),
        maxAttempts: tenant.maxVerifyAttempts,
        lockoutSeconds: options.lockoutSeconds,
      });
      options.outcomes?.verify(result.outcome);
      return result;
    },
  };
}
