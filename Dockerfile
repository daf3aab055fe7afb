# securechat relay: a circuit relay v2 server for securechat nodes.
#
#   docker build -t securechat-relay .
#   docker run -d --name relay -p 4001:4001 -v securechat-relay:/data securechat-relay
#
# The relay's identity key lives in /data (a volume): keep the volume and the
# relay keeps its peer id, so the addresses users configure stay valid.
# tini is PID 1 and forwards SIGTERM/SIGINT to node, so `docker stop` shuts the
# relay down cleanly without `--init`.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: compile TypeScript to dist/ --------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ ./src/
RUN npm run build

# ---- runtime: production dependencies and compiled code only -----------------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# classic-level (LevelDB) loads its bundled prebuild for linux-x64/arm64 glibc:
# no compiler needed. The devDependency `node` is not installed.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf /tmp/* /root/.npm
COPY --from=build /app/dist/src/ ./dist/src/
RUN mkdir -p /data && chown node:node /data
# the relay and its health check both read these; change the port with
# `docker run -e SECURECHAT_RELAY_PORT=...` and both follow
ENV SECURECHAT_DATA_DIR=/data \
    SECURECHAT_RELAY_PORT=4001
# A 2 MiB V8 young generation (semi-space): with V8's default the relay
# keeps about four times its live heap committed, ~400 MiB resident at 1,000
# reservations against ~200 MiB with this (README "Benchmarks", bench/relay.ts)
ENV NODE_OPTIONS=--max-semi-space-size=2
VOLUME /data
USER node
EXPOSE 4001/tcp
# `securechat relay-health` dials the relay on localhost, checks it speaks
# circuit relay v2 (identify) and answers ping; exit 0 healthy, 1 not.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "/app/dist/src/bin.js", "relay-health"]
ENTRYPOINT ["tini", "--", "node", "/app/dist/src/bin.js"]
# add e.g. `--announce /ip4/<public ip>/tcp/4001` after the image name to
# advertise the host's public address
CMD ["relay"]
