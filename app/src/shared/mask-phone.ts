// The one way a phone number appears in logs, job fields and the send log: its country calling
// code and its last two digits, never more (`+44*********23`). Short numbers show less, never more.
import metadata from "libphonenumber-js/min/metadata";

/**
 * Every ITU country calling code, geographic and not, from libphonenumber's metadata. Calling codes
 * are prefix-free, so at most one of a number's first three digits' prefixes is in the set.
 */
const CALLING_CODES = new Set([...Object.keys(metadata.country_calling_codes), ...Object.keys(metadata.nonGeographic ?? {})]);
const VISIBLE_TAIL = 2;

export function maskPhone(phone: string): string {
  const digits = phone.startsWith("+") ? phone.slice(1) : phone;
  let code = "";
  for (let length = 1; length <= 3 && length < digits.length; length++) {
    if (CALLING_CODES.has(digits.slice(0, length))) {
      code = digits.slice(0, length);
      break;
    }
  }
  const rest = digits.length - code.length;
  // Whatever is left must keep at least as many hidden digits as shown ones, or the tail goes too.
  const tail = rest >= 2 * VISIBLE_TAIL + 1 ? VISIBLE_TAIL : 0;
  return `${phone.startsWith("+") ? "+" : ""}${code}${"*".repeat(rest - tail)}${digits.slice(digits.length - tail)}`;
}
