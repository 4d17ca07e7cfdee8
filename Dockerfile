# One image for both services; compose chooses gateway or executor by command.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so a source edit does not invalidate the npm layer. tsx runs the TypeScript
# sources directly; typescript and vitest (dev dependencies) are not needed at runtime.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

# Run as the image's unprivileged `node` user (uid 1000). Its home holds the compile cache, which
# compose mounts a volume on; a fresh named volume takes this ownership.
RUN mkdir -p /home/node/.kiln && chown node:node /home/node/.kiln
# Compiles keep the engine with the world spliced in here (gateway/compile/spliced-engine-cache.ts).
RUN mkdir -p node_modules/.cache/kiln-spliced-engines && chown node:node node_modules/.cache/kiln-spliced-engines
USER node
ENV KILN_COMPILE_CACHE_DIR=/home/node/.kiln/compile-cache

EXPOSE 8787
# One node process (no npm or sh in between), so SIGTERM from `docker compose stop` reaches the
# service's shutdown handler.
CMD ["node", "--import", "tsx", "gateway/main.ts"]
