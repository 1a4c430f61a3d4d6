import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..", "..");
export const APP_DIR = join(REPO_ROOT, "app");
export const APP_MAIN = join(APP_DIR, "dist", "main.js");
export const OPERATOR_MAIN = join(REPO_ROOT, "operator", "src", "main.ts");
