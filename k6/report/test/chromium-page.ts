// Opens a local HTML file in headless Chromium (Debian's, driven by playwright-core) for the report's
// browser tests, collecting every console error or warning, page error and network request on the way.
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadPackage } from "../deps.ts";

export const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Only what the tests use of playwright-core's API (its types are not needed to run them).
export interface Page {
  on(event: "console", listener: (message: { type(): string; text(): string }) => void): void;
  on(event: "pageerror", listener: (error: Error) => void): void;
  on(event: "request", listener: (request: { url(): string }) => void): void;
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: string, arg?: unknown, options?: { timeout: number }): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  click(selector: string): Promise<void>;
  hover(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}
interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface PlaywrightCore {
  chromium: {
    launchPersistentContext(
      userDataDir: string,
      options: { executablePath: string; headless: boolean; args: string[]; viewport: { width: number; height: number } },
    ): Promise<BrowserContext>;
  };
}

/** Skips the calling test outside CI when Chromium is missing, and fails it in CI. */
export function requireChromium(context: { skip(note: string): void }): void {
  if (existsSync(CHROMIUM)) return;
  if (!process.env.CI) context.skip(`${CHROMIUM} is missing (apt-get install -y chromium); CI is not set, so the browser test is skipped.`);
  throw new Error(`${CHROMIUM} is missing and CI is set: the browser test cannot run (install Debian's chromium package)`);
}

/** Opens htmlPath, runs `use` on the page; `problems` lists everything that went wrong in the page so far. */
export async function withPage(htmlPath: string, scratch: string, use: (page: Page, problems: string[]) => Promise<void>): Promise<void> {
  const { chromium } = loadPackage<PlaywrightCore>("playwright-core");
  mkdirSync(scratch, { recursive: true });
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(scratch, "profile-")), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(`console.${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("request", (request) => {
      if (!request.url().startsWith("file:") && !request.url().startsWith("data:")) problems.push(`network request: ${request.url()}`);
    });
    await page.goto(pathToFileURL(htmlPath).href);
    await use(page, problems);
  } finally {
    await browser.close();
  }
}
