# One image per service: docker build --build-arg SERVICE=policy -t jangar-policy .
# Each service runs as one bundle (`npm run build`: the workspace's own code; npm packages stay in node_modules).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/kube-dev/package.json packages/kube-dev/
COPY packages/devstack/package.json packages/devstack/
COPY packages/stack/package.json packages/stack/
COPY services/api-gateway/package.json services/api-gateway/
COPY services/policy/package.json services/policy/
COPY services/provisioner/package.json services/provisioner/
COPY services/status-aggregator/package.json services/status-aggregator/
COPY services/audit/package.json services/audit/
COPY packages/ui/package.json packages/ui/
RUN npm ci --no-audit --no-fund --ignore-scripts

# The web UI the gateway serves at /ui: built once here, copied into every image (only the gateway serves it).
FROM deps AS ui
COPY packages/contracts packages/contracts
COPY packages/ui packages/ui
RUN npx vite build packages/ui

# The bundles, each at <package>/dist/main.mjs as in a checkout (the gateway finds the UI relative to its own).
FROM deps AS build
COPY tsconfig.json ./
COPY packages packages
COPY services services
COPY scripts/build.ts scripts/
RUN npx tsx scripts/build.ts

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production SERVICE_BUNDLE=services/${SERVICE}/dist/main.mjs HEALTH_PORT=9090 HEALTH_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/services ./services
COPY --from=build /app/packages/kube-dev/dist ./packages/kube-dev/dist
COPY --from=ui /app/packages/ui/dist ./packages/ui/dist
USER node
EXPOSE 9090 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=6 CMD node -e "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["sh", "-c", "exec node \"$SERVICE_BUNDLE\""]
