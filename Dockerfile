# Build stage: compiles TypeScript and better-sqlite3's native module; none of its tools reach the final image.
FROM node:20-bookworm-slim AS build
ENV PUPPETEER_SKIP_DOWNLOAD=1 \
    # the headers ship with the image: node-gyp needs no download when better-sqlite3 has no prebuilt binary
    npm_config_nodedir=/usr/local
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund --loglevel=error

# Runtime: Debian's Chromium, tini as PID 1 (reaps what killed browsers leave), a user without privileges.
FROM node:20-bookworm-slim
ENV PUPPETEER_SKIP_DOWNLOAD=1 NODE_ENV=production \
    # listening on all interfaces, so that the port can be published: wamux then refuses to start without API_KEY
    HOST=0.0.0.0 PORT=8080 SESSIONS_DIR=/app/sessions
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 wamux \
 && useradd --system --uid 10001 --gid wamux --home-dir /app --shell /usr/sbin/nologin wamux \
 && mkdir -p /app/sessions && chown wamux:wamux /app/sessions && chmod 700 /app/sessions
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the dashboard's page styles, served as they are
COPY --from=build /app/src/dashboard/public ./src/dashboard/public
USER wamux
VOLUME /app/sessions
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
