// Capped exponential back-off with full jitter, the delay SMS delivery and the send log retry with.
import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "../../src/shared/backoff";

describe("backoffDelayMs", () => {
  const policy = { retryBaseMs: 100, retryMaxMs: 1_000 };

  it("grows exponentially up to the cap, with full jitter below it", () => {
    const highest = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 50].map((attempt) => backoffDelayMs(attempt, policy, highest))).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
  });
});
