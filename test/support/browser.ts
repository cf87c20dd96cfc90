import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { killBrowsersUnder, processesUnder } from '../e2e/harness.js';

/** Debian's Chromium, as the server itself uses it (never a browser puppeteer downloads). */
const CHROMIUM = process.env.CHROME_BIN ?? '/usr/lib/chromium/chromium';

/** A real headless Chromium for testing a page, with a profile of its own so that its processes can be found. */
export class TestBrowser {
  private constructor(
    readonly browser: Browser,
    readonly profileDir: string,
  ) {}

  static async launch(): Promise<TestBrowser> {
    const profileDir = await mkdtemp(path.join(os.tmpdir(), 'wamux-ui-'));
    try {
      const browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        userDataDir: profileDir,
        headless: true,
        protocolTimeout: 60_000,
        args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--lang=en-US', '--force-color-profile=srgb', '--hide-scrollbars'],
      });
      return new TestBrowser(browser, profileDir);
    } catch (error) {
      await killBrowsersUnder(profileDir);
      await rm(profileDir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * A tab that records what would fail the test: errors the page throws, errors it logs (a script or style the
   * Content-Security-Policy refused shows there), and requests that failed. An answer with an error status the
   * test asked for (401 to a wrong key) is the page working, not failing: those are left out.
   */
  async page(width: number, height = 900): Promise<Page & { errors: string[] }> {
    const page = (await this.browser.newPage()) as Page & { errors: string[] };
    page.errors = [];
    page.on('pageerror', (error) => page.errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) {
        page.errors.push(`console: ${message.text()}`);
      }
    });
    page.on('requestfailed', (request) => {
      // a stream or a read cut short by leaving the screen is not a failure
      if (request.failure()?.errorText !== 'net::ERR_ABORTED') page.errors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    });
    await page.setViewport({ width, height });
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    return page;
  }

  /** Closes the browser; whatever of it is left is killed by PID; then its profile goes. */
  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    if ((await processesUnder(this.profileDir)).length > 0) await killBrowsersUnder(this.profileDir);
    await rm(this.profileDir, { recursive: true, force: true });
  }
}
