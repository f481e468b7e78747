# syntax=docker/dockerfile:1
# Image for the cache-warming worker (default command) and warmctl (`node dist/cli/warmctl.js`).
# Built by docker-compose.yml; see docs/docker.md. Node 22 LTS: Node 20 reached end of life in
# April 2026. The tests run on the Node of the machine that runs them (20.x there; see docs/operations.md).

# --- build: full dependencies, compile TypeScript to dist/ (with the Lua scripts beside it); the
# build also bundles the workflows once (dist/workflow-bundle.js), so the worker starts without webpack.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

# --- prod-deps: only what the worker and warmctl need at run time (@temporalio/worker still
# brings webpack and swc along as dependencies; the prebuilt bundle means they are not run).
FROM node:22-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# --- runtime
FROM node:22-bookworm-slim AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies, so `docker stop` lets the worker
# drain (it stops polling and finishes in-flight warms) whether or not compose adds its own init.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The prebuilt workflow bundle, and the health endpoint the HEALTHCHECK and Kubernetes probes ask.
ENV WARMING_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
  WARMING_HEALTH_ADDRESS=0.0.0.0:9465
EXPOSE 9465
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/worker/healthcheck.js"]
# Root owns the files; the process runs as the image's unprivileged `node` user and writes nothing.
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/worker/main.js"]
