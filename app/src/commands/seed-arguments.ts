// `otp-service seed` arguments, validated like everything else: one line naming the bad one.
import { parseArgs } from "node:util";
import { z } from "zod";

const schema = z.object({
  tenants: z.coerce.number().int().min(0).max(10_000).default(1),
  prefix: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, "must be 1-32 of [a-z0-9-]")
    .default("demo-tenant"),
  "phone-limit": z.coerce.number().int().min(1).optional(),
  "daily-cap": z.coerce.number().int().min(1).optional(),
  // The same bounds as the tenants table's CHECKs, so a bad value fails here with its flag's name.
  "max-verify-attempts": z.coerce.number().int().min(1).max(20).optional(),
  "max-consecutive-failures": z.coerce.number().int().min(1).max(100).optional(),
  "failure-window-seconds": z.coerce.number().int().min(86_400).max(31_536_000).optional(),
  output: z.string().min(1).optional(),
});

export type SeedArguments = z.output<typeof schema>;

export function parseSeedArguments(argv: string[]): SeedArguments {
  const { values } = parseArgs({
    args: argv,
    options: {
      tenants: { type: "string" },
      prefix: { type: "string" },
      "phone-limit": { type: "string" },
      "daily-cap": { type: "string" },
      "max-verify-attempts": { type: "string" },
      "max-consecutive-failures": { type: "string" },
      "failure-window-seconds": { type: "string" },
      output: { type: "string" },
    },
    strict: true,
  });
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new Error(
      `invalid seed arguments: ${result.error.issues.map((issue) => `--${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
    );
  }
  return result.data;
}
