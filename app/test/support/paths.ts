import { join } from "node:path";

export const APP_DIR = join(__dirname, "..", "..");
export const DIST = join(APP_DIR, "dist");
