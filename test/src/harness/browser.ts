/**
 * A real browser for the end-to-end tests: Debian's chromium (apt package
 * `chromium`), driven by playwright-core over the DevTools protocol. Nothing is
 * downloaded: playwright-core has no browser of its own, and this launches
 * /usr/bin/chromium headless, with a fresh profile, and with everything that
 * would reach the network on its own (updates, sync, QUIC, first-run) off.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** Where screenshots go (git-ignored: test-results/). */
export const SCREENSHOTS = path.join(REPO, "test-results", "screenshots");

const ARGS = [
  "--headless",
  "--no-sandbox", // the tests run as root, where chromium's own sandbox cannot start
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Writes a full-page PNG to test-results/screenshots/NAME.png and answers its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserSession> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "machina-chromium-"));
  let context: BrowserContext;
  try {
    // The persistent context is how playwright takes a --user-data-dir of our choosing (a fresh one).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1200, height: 800 },
      timeout: 60_000,
    });
  } catch (error) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context,
    page,
    async screenshot(name: string) {
      const file = path.join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      try {
        await context.close();
      } finally {
        fs.rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
