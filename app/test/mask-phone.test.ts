// The mask never shows more than the country calling code and the last two digits.
import { describe, expect, it } from "vitest";
import { maskPhone } from "../src/shared/mask-phone";

describe("maskPhone", () => {
  it.each([
    ["+4915112345678", "+49*********78"],
    ["+14155550123", "+1********23"],
    ["+35312345678", "+353******78"],
    // A 7-digit number in a 3-digit country code: 4 digits left, too few to show a tail.
    ["+6871234", "+687****"],
    ["+6812345", "+681****"],
    // Non-geographic code (international freephone).
    ["+80012345678", "+800******78"],
  ])("%s → %s", (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });

  it("never shows more than the calling code and two digits, whatever the length", () => {
    for (let length = 1; length <= 15; length++) {
      const phone = `+44${"7".repeat(length)}`;
      const shown = maskPhone(phone).replace(/[+*]/g, "");
      expect(shown.length).toBeLessThanOrEqual(2 + 2);
      expect(maskPhone(phone)).toHaveLength(phone.length);
    }
  });

  it("shows no calling code when the number starts with none", () => {
    expect(maskPhone("+0123456789")).toBe("+********89");
  });
});
