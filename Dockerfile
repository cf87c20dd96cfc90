FROM node:20-bookworm-slim
# HOST=0.0.0.0 so that the port can be published: wamux then refuses to start without API_KEY
ENV PUPPETEER_SKIP_DOWNLOAD=1 NODE_ENV=production HOST=0.0.0.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium tini python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev
VOLUME /app/sessions
EXPOSE 8080
# tini reaps Chromium's children so no zombie is left when the server runs as PID 1
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
