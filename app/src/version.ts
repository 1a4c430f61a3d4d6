import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The app package's version, read once at start (dist/ and src/ sit at the same depth). */
export const SERVICE_VERSION: string = (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string })
  .version;
