# syntax=docker/dockerfile:1
# consul-k8s-gitops: one image, one binary (`consul-k8s-gitops webhook|registrar|generate|lint`).
# Runs as a numeric non-root user with a read-only root filesystem; /tmp (HOME, Git clones)
# must be a writable volume (the manifests in deploy/ mount an emptyDir there).

# Node.js 24 is the active LTS line (20 reached end of life on 2026-04-30). The test suite runs on
# it in CI too (scripts/node24.sh); package.json `engines` names the lines that are tested.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: full dependency tree, compile TypeScript to dist/ --------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && rm -rf dist/test dist/bench

# --- deps: production dependencies only ------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# git (+ ssh for SSH remotes) for the generator; tini reaps the git/ssh children as PID 1.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
ENV NODE_ENV=production \
    HOME=/tmp \
    GIT_TERMINAL_PROMPT=0 \
    NODE_OPTIONS=--enable-source-maps
# Numeric, so Kubernetes can verify runAsNonRoot without resolving a name.
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli.js"]
CMD ["--help"]
