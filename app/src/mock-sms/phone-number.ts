import { z } from "zod";

/** E.164: a plus, a non-zero country code digit, at most 15 digits in all. */
export const e164 = z.string().regex(/^\+[1-9]\d{1,14}$/, "must be an E.164 number such as +14155550100");
