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

/**
 * Chromium's process model trimmed for one headless tab per browser (the default; --lean-chromium=false drops it).
 * Measured on the sandbox: 9 processes and 152 MiB of anonymous PSS per session before, 5 and about 90 after.
 */
export const LEAN_CHROMIUM_ARGS: readonly string[] = [
  // headless with --disable-gpu composites in software: a thread of the browser rather than a process
  '--in-process-gpu',
  // the network service as a thread of the browser process, not a utility process
  '--enable-features=NetworkServiceInProcess2',
  // no renderer kept warm for a next tab that never comes, and no renderer for the omnibox popup of a window
  // nobody sees (headless Chromium still builds one)
  '--disable-features=SpareRendererForSitePerProcess,WebUIOmniboxPopup,WebUIOmniboxAimPopup',
];

/**
 * Chromium's low-end device mode (the default; --chromium-low-end-mode=false drops it): its caches sized for a small
 * device, among them the LevelDB block cache behind IndexedDB (1 MiB instead of 8), which WhatsApp Web's message
 * store otherwise fills over the first half hour of traffic. Measured on the sandbox under load: each browser flat
 * after a few minutes instead of growing for half an hour (see README, Memory over weeks).
 */
export const LOW_END_CHROMIUM_ARGS: readonly string[] = ['--enable-low-end-device-mode'];

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
