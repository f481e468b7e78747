# syntax=docker/dockerfile:1
# Image for the cache-warming worker (default command) and warmctl (`node dist/client/warmctl.js`).
# Built by docker-compose.yml; see docs/docker.md.

# --- build: full dependencies, compile TypeScript to dist/ (with the Lua scripts beside it)
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

# --- prod-deps: only what the worker and warmctl need at run time. @temporalio/worker brings
# webpack and swc with it: the worker bundles the compiled workflows when it starts.
FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# --- runtime
FROM node:20-bookworm-slim AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies, so `docker stop` lets the worker
# drain (it stops polling and finishes in-flight warms) whether or not compose adds its own init.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Root owns the files; the process runs as the image's unprivileged `node` user and writes nothing.
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/worker/main.js"]
