# One image for the worker, the API and the sandbox (docker-compose.yml picks the command).
# A supported Node.js LTS (22 "Jod", maintained until April 2027); CI also runs the code on Node 20.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
# Prebundle the workflows so the worker starts without webpack at run time.
RUN npx tsx scripts/build-workflow-bundle.ts dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js NODE_ENV=production
USER node
