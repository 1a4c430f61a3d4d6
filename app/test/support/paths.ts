import { join } from "node:path";

export const APP_DIR = join(__dirname, "..", "..");
export const MAIN_JS = join(APP_DIR, "dist", "main.js");
export const DIST = join(APP_DIR, "dist");
