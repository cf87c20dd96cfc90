#!/usr/bin/env bash
# Makes a fresh machine ready to run wamux: npm packages, Debian Chromium, and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# whatsapp-web.js brings puppeteer, which must never download a browser of its own: wamux uses Debian's Chromium.
export PUPPETEER_SKIP_DOWNLOAD=1

say() { printf 'wamux setup: %s\n' "$*" >&2; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# Debian's Chromium drives the sessions; tini reaps what a killed browser leaves when no init does (tests, containers).
missing=()
if [ -z "${CHROME_BIN:-}" ] && [ ! -x /usr/lib/chromium/chromium ]; then missing+=(chromium); fi
if ! command -v tini >/dev/null 2>&1; then missing+=(tini); fi
# the dashboard's reactions are emoji: without a font for them the browser tests' screenshots show empty boxes
if ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then missing+=(fonts-noto-color-emoji); fi
# cluster mode's tests start their own Postgres server (the package's default cluster is left alone)
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then missing+=(postgresql); fi
# the container test builds the image with podman, its base made with debootstrap (no registry is reachable here)
for tool in podman buildah runc debootstrap; do
  if ! command -v "$tool" >/dev/null 2>&1; then missing+=("$tool"); fi
done
if [ ${#missing[@]} -gt 0 ] && [[ " ${missing[*]} " == *" podman "* ]]; then missing+=(uidmap slirp4netns fuse-overlayfs iptables); fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]} (apt-get)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -f dist/main.js ] || [ -n "$(find src package.json tsconfig.json -newer dist/main.js -print -quit)" ]; then
  say "building (tsc)"
  npx tsc -p tsconfig.json >&2
fi
