// The send and verify flows. Knows nothing of HTTP; talks to its store through OtpStore.
import { randomUUID } from "node:crypto";
import { maskPhone } from "../../shared/mask-phone";
import { codeHmac, phoneHash, type SecretKeys } from "../secrets";
import { sealJob } from "../sms-job";
import type { Tenant } from "../tenant";
import { generateCode, renderMessage } from "./codes";
import { DeliveryBacklogError, RateLimitedError, VerificationLockedError } from "./otp-errors";
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

/** When a send is refused because its SMS would arrive too late (see SMS_SHED_* and SMS_MAX_BACKLOG). */
export interface SheddingPolicy {
  maxBacklog: number;
  /** Share of the tenant's code TTL the oldest undelivered job may have waited. */
  backlogAgeRatio: number;
  retryAfterSeconds: number;
}

export interface OtpServiceOptions {
  store: OtpStore;
  keys: SecretKeys;
  /** The first lockout; each further one of the same number doubles, up to lockoutMaxSeconds. */
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
  shedding: SheddingPolicy;
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
      const expiresAt = acceptedAt.getTime() + tenant.codeTtlSeconds * 1000;
      const job = sealJob(
        {
          otpId,
          tenantId: tenant.id,
          requestId: context.requestId,
          traceparent: context.traceparent,
          acceptedAt: acceptedAt.getTime(),
          expiresAt,
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
        failuresKey: otpKeys.failures(tenant.id, hashedPhone),
        codeHmac: codeHmac(options.keys, tenant.id, phone, code),
        ttlSeconds: tenant.codeTtlSeconds,
        phoneSendLimit: tenant.phoneSendLimit,
        phoneSendWindowSeconds: tenant.phoneSendWindowSeconds,
        dailySendCap: tenant.dailySendCap,
        dailyKeyTtlSeconds: secondsLeft + 60,
        maxBacklog: options.shedding.maxBacklog,
        maxBacklogAgeMs: Math.floor(options.shedding.backlogAgeRatio * tenant.codeTtlSeconds * 1000),
        job,
      });
      switch (result.outcome) {
        case "locked":
          options.outcomes?.send("locked");
          throw new VerificationLockedError(result.retryAfterSeconds);
        case "shed":
          options.outcomes?.send(`shed_${result.reason}`);
          throw new DeliveryBacklogError(result.reason, options.shedding.retryAfterSeconds);
        case "rate_limited":
          options.outcomes?.send(`rate_limited_${result.scope}`);
          throw new RateLimitedError(result.scope, result.retryAfterSeconds);
      }
      options.outcomes?.send("accepted");
      return { id: otpId, expiresAt: new Date(expiresAt) };
    },

    async verify(tenant, phone, code) {
      const hashedPhone = phoneHash(options.keys, tenant.id, phone);
      const result = await options.store.verify({
        otpKey: otpKeys.code(tenant.id, hashedPhone),
        failuresKey: otpKeys.failures(tenant.id, hashedPhone),
        // Only HMACs are compared, so how long a comparison takes says nothing about the code. The HMAC
        // is computed whether or not a code is pending, so timing does not tell the two apart either.
        codeHmac: codeHmac(options.keys, tenant.id, phone, code),
        failuresPerLockout: tenant.maxVerifyAttempts,
        maxConsecutiveFailures: tenant.maxConsecutiveFailures,
        lockoutSeconds: options.lockoutSeconds,
        lockoutMaxSeconds: options.lockoutMaxSeconds,
        failureWindowSeconds: tenant.failureWindowSeconds,
      });
      options.outcomes?.verify(result.outcome);
      return result;
    },
  };
}
