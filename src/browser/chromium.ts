import { existsSync } from 'node:fs';

/** The Chromium binary itself: Debian's /usr/bin/chromium is a wrapper script whose PID is not the browser's. */
export const DEBIAN_CHROMIUM = '/usr/lib/chromium/chromium';
export const GOOGLE_CHROME_CANDIDATES = ['/opt/google/chrome/chrome', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

/** Flags every session's browser gets: headless as root, and quiet on a machine without internet. */
export const BASE_CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-extensions',
];

export interface ChromiumChoice {
  chromeBin?: string;
  useChrome: boolean;
}

/** Picks the browser binary: CHROME_BIN wins, then Google Chrome when asked for, then Debian Chromium. */
export function resolveBrowserExecutable(choice: ChromiumChoice): string {
  if (choice.chromeBin) return choice.chromeBin;
  if (choice.useChrome) {
    const chrome = GOOGLE_CHROME_CANDIDATES.find((candidate) => existsSync(candidate));
    if (chrome) return chrome;
  }
  return DEBIAN_CHROMIUM;
}
