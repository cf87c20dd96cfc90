/**
 * Which Chromium flags a session config or the server settings may add. Many switches run programs
 * (--renderer-cmd-prefix, --gpu-launcher, --browser-subprocess-path…), hand the browser to anyone on the host
 * (--remote-debugging-port), write files (--log-file) or move the browser out of its profile (--user-data-dir,
 * where the last one wins), so only switches known to be harmless are accepted; an operator can name more.
 */

/** Switch names (without the leading --) accepted with any value. */
const HARMLESS_SWITCHES: ReadonlySet<string> = new Set([
  'window-size',
  'window-position',
  'lang',
  'accept-lang',
  'proxy-bypass-list',
  'host-resolver-rules',
  'enable-features',
  'disable-features',
  'blink-settings',
  'force-device-scale-factor',
  'force-color-profile',
  'font-render-hinting',
  'hide-scrollbars',
  'mute-audio',
  'user-agent',
  'autoplay-policy',
  'renderer-process-limit',
  'process-per-site',
  'site-per-process',
  'no-zygote',
  'no-first-run',
  'no-default-browser-check',
  'no-pings',
  'no-experiments',
  'headless',
  'enable-low-end-device-mode',
  'force-prefers-reduced-motion',
  'password-store',
  'use-mock-keychain',
]);

/**
 * `--disable-…` switches that only turn a feature off. Not a wildcard: some disable switches load code
 * (--disable-extensions-except=<dir> loads the extension in <dir>) or lift protections (--disable-web-security).
 */
const HARMLESS_DISABLE_SWITCHES: ReadonlySet<string> = new Set([
  'disable-gpu',
  'disable-dev-shm-usage',
  'disable-setuid-sandbox',
  'disable-software-rasterizer',
  'disable-accelerated-2d-canvas',
  'disable-3d-apis',
  'disable-webgl',
  'disable-background-networking',
  'disable-background-timer-throttling',
  'disable-backgrounding-occluded-windows',
  'disable-renderer-backgrounding',
  'disable-breakpad',
  'disable-crash-reporter',
  'disable-component-update',
  'disable-component-extensions-with-background-pages',
  'disable-client-side-phishing-detection',
  'disable-default-apps',
  'disable-domain-reliability',
  'disable-extensions',
  'disable-blink-features',
  'disable-field-trial-config',
  'disable-hang-monitor',
  'disable-ipc-flooding-protection',
  'disable-notifications',
  'disable-popup-blocking',
  'disable-prompt-on-repost',
  'disable-print-preview',
  'disable-speech-api',
  'disable-sync',
  'disable-translate',
  'disable-infobars',
  'disable-quic',
  'disable-smooth-scrolling',
  'disable-audio-output',
  'disable-session-crashed-bubble',
  'disable-search-engine-choice-screen',
  'disable-partial-raster',
  'disable-threaded-animation',
  'disable-threaded-scrolling',
  'disable-checker-imaging',
  'disable-new-content-rendering-timeout',
  'disable-low-res-tiling',
  'disable-image-animation-resync',
]);

const SWITCH_SYNTAX = /^--([a-z0-9][a-z0-9-]*)(?:=(.*))?$/s;

/** The switch name of `--name[=value]`, or undefined when the text is not one switch. */
export function switchName(flag: string): string | undefined {
  return SWITCH_SYNTAX.exec(flag)?.[1];
}

export interface ChromiumFlagPolicy {
  /** Extra switch names the operator allowed (--allow-chromium-flags), without the leading --. */
  readonly extraAllowed: ReadonlySet<string>;
}

export const DEFAULT_FLAG_POLICY: ChromiumFlagPolicy = { extraAllowed: new Set() };

export function isAllowedFlag(flag: string, policy: ChromiumFlagPolicy): boolean {
  const name = switchName(flag);
  if (name === undefined) return false;
  if (policy.extraAllowed.has(name)) return true;
  return HARMLESS_SWITCHES.has(name) || HARMLESS_DISABLE_SWITCHES.has(name);
}

/** The flags that are not allowed, in the order given. */
export function refusedFlags(flags: readonly string[], policy: ChromiumFlagPolicy): string[] {
  return flags.filter((flag) => !isAllowedFlag(flag, policy));
}

/** A message naming the refused flags without echoing their values (a value may hold anything). */
export function describeRefusedFlags(refused: readonly string[]): string {
  const names = refused.map((flag) => {
    const name = switchName(flag);
    return name === undefined ? JSON.stringify(flag.slice(0, 40)) : `--${name}`;
  });
  return (
    `Chromium flag${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} not allowed: ` +
    'only harmless flags (window size, language, feature toggles, switching features off) are accepted; ' +
    'a server operator can allow more with --allow-chromium-flags'
  );
}

/** Parses --allow-chromium-flags: switch names, with or without the leading --, comma- or space-separated. */
export function parseAllowedFlagNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const name = entry.replace(/^--/, '');
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`'${entry.slice(0, 60)}' is not a Chromium switch name`);
    names.add(name);
  }
  return names;
}
