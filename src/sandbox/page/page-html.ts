import { PAGE_BRIDGE_JS } from './page-bridge.js';
import { PAGE_CONTACTS_JS } from './page-contacts.js';
import { PAGE_ACTIONS_JS } from './page-actions.js';
import { PAGE_GROUPS_JS } from './page-groups.js';
import { PAGE_MESSAGE_STORE_JS } from './page-message-store.js';
import { PAGE_MODULES_JS } from './page-modules.js';
import { PAGE_MEDIA_JS } from './page-media.js';
import { PAGE_RUNTIME_JS } from './page-runtime.js';

/** What `window.Debug.VERSION` reports: whatsapp-web.js 1.34.7's default webVersion. */
export const SANDBOX_WEB_VERSION = '2.3000.1017054665';

/** The whole fake https://web.whatsapp.com/ page: one HTML document with its script inline. */
export function renderSandboxPage(): string {
  const config = JSON.stringify({ version: SANDBOX_WEB_VERSION }).replace(/</g, '\\u003c');
  const script = [
    '(function () {',
    "'use strict';",
    `var CONFIG = ${config};`,
    PAGE_RUNTIME_JS,
    PAGE_MODULES_JS,
    PAGE_MESSAGE_STORE_JS,
    PAGE_CONTACTS_JS,
    PAGE_ACTIONS_JS,
    PAGE_GROUPS_JS,
    PAGE_MEDIA_JS,
    PAGE_BRIDGE_JS,
    '})();',
  ].join('\n');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>WhatsApp</title></head>',
    '<body><div id="app">WhatsApp sandbox - loading</div>',
    `<script>${script}</script>`,
    '</body></html>',
  ].join('\n');
}
