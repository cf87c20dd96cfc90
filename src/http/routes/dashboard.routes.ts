import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';

/**
 * The dashboard: a page that is a client of the public API and the event stream, nothing more. Its shell, its
 * compiled modules (dist/dashboard/app) and the two libraries it runs on (Preact and htm, served from their npm
 * packages) are public files; every piece of data it shows comes through the API with the user's key.
 */

const here = dirname(fileURLToPath(import.meta.url));
/** dist/http/routes → dist/dashboard/app, and the package root for the static files kept beside the sources. */
const APP_DIR = join(here, '..', '..', 'dashboard', 'app');
const PUBLIC_DIR = join(here, '..', '..', '..', 'src', 'dashboard', 'public');

const require = createRequire(import.meta.url);
/** A package's folder, found the way Node finds it (hoisted or not): the nearest package.json above its entry. */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${name}'s entry`);
    dir = parent;
  }
  return dir;
}

/** The bare imports of the dashboard's modules, mapped to the packages' own browser builds. */
const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: '/dashboard/vendor/preact/dist/preact.module.js',
    'preact/hooks': '/dashboard/vendor/preact/hooks/dist/hooks.module.js',
    htm: '/dashboard/vendor/htm/dist/htm.module.js',
    'htm/preact': '/dashboard/vendor/htm/preact/index.module.js',
  },
});

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wamux</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/dashboard.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/dashboard/app/main.js"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the dashboard…</p></div>
<noscript>The wamux dashboard needs JavaScript. The API is documented at <a href="/api-docs">/api-docs</a>.</noscript>
</body>
</html>
`;

/** The inline import map is the only inline script: allowed by its hash, so nothing injected could run. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}'`,
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "style-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secureHeaders(response: Response): void {
  response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('X-Frame-Options', 'DENY');
}

/** Only what the page loads: a package's browser build, not its sources, tests or package.json. */
function vendor(name: string, folders: readonly string[]): Router {
  const router = Router();
  const root = packageDir(name);
  for (const folder of folders) router.use(`/${folder}`, express.static(join(root, folder), { index: false }));
  return router;
}

export function dashboardRouter(): Router {
  const router = Router();
  router.use('/dashboard', (_request, response, next) => {
    secureHeaders(response);
    next();
  });
  router.get('/', (_request, response) => {
    secureHeaders(response);
    response.setHeader('Cache-Control', 'no-cache');
    response.type('html').send(PAGE);
  });
  const files = { index: false, setHeaders: (response: Response) => response.setHeader('Cache-Control', 'no-cache') };
  router.use('/dashboard/app', express.static(APP_DIR, files));
  router.use('/dashboard/vendor/preact', vendor('preact', ['dist', 'hooks/dist']));
  router.use('/dashboard/vendor/htm', vendor('htm', ['dist', 'preact']));
  router.use('/dashboard', express.static(PUBLIC_DIR, files));
  return router;
}
