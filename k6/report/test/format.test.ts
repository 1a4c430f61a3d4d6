import { describe, expect, it } from "vitest";
import { formatCount, formatDuration, formatMs, formatRate, formatRatio, formatRps, formatTimestamp } from "../format.ts";

describe("format", () => {
  it("req/s: thousands separators, decimals only for small rates, a dash for null", () => {
    expect(formatRps(14000)).toBe("14,000");
    expect(formatRps(1198.7)).toBe("1,199");
    expect(formatRps(42.25)).toBe("42.3");
    expect(formatRps(0)).toBe("0");
    expect(formatRps(null)).toBe("—");
  });

  it("ms: precision follows the magnitude", () => {
    expect(formatMs(0.4211)).toBe("0.42 ms");
    expect(formatMs(4.2)).toBe("4.20 ms");
    expect(formatMs(42.04)).toBe("42.0 ms");
    expect(formatMs(287.6, false)).toBe("288");
    expect(formatMs(5760)).toBe("5,760 ms");
    expect(formatMs(null)).toBe("—");
  });

  it("rates, ratios and counts", () => {
    expect(formatRate(0)).toBe("0%");
    expect(formatRate(0.0042)).toBe("0.42%");
    expect(formatRate(0.00000042)).toBe("<0.01%");
    expect(formatRate(0.25)).toBe("25.0%");
    expect(formatRatio(0.418)).toBe("×0.42");
    expect(formatRatio(12.34)).toBe("×12.3");
    expect(formatRatio(0.0152)).toBe("×0.015");
    expect(formatRatio(0.0025)).toBe("×0.0025");
    expect(formatCount(104400)).toBe("104,400");
  });

  it("dates and durations", () => {
    expect(formatTimestamp("2026-11-24T07:30:12.000Z")).toBe("2026-11-24 07:30:12 UTC");
    expect(formatTimestamp("yesterday")).toBe("yesterday");
    expect(formatDuration("2026-11-24T07:30:12Z", "2026-11-24T08:41:37Z")).toBe("1 h 11 min");
    expect(formatDuration("2026-11-24T07:30:12Z", "2026-11-24T07:42:17Z")).toBe("12 min 05 s");
    expect(formatDuration("2026-11-24T07:30:12Z", "2026-11-24T07:30:57Z")).toBe("45 s");
    expect(formatDuration("2026-11-24T08:00:00Z", "2026-11-24T07:00:00Z")).toBeNull();
  });
});
