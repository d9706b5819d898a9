# kv-cache-bench task image: one CLI, every Tekton step's entrypoint.
# OpenShift restricted-v2 runs it as an arbitrary UID in group 0: everything it writes is group-0
# writable and HOME points at a writable directory. No shell is needed by the Tasks (command/args only).
#
# Node 24 LTS, the same major the project pins with the `node` devDependency (../DESIGN.md, Runtime).
# The tag is pinned; the release workflow (.github/workflows/release.yml) records the digest it built on.
ARG NODE_IMAGE=registry.access.redhat.com/ubi9/nodejs-24-minimal:1

FROM ${NODE_IMAGE} AS build
USER 0
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the image already runs Node 24; the `node` devDependency's binary download is for dev machines.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
USER 0
WORKDIR /opt/kv-cache-bench
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY tasks ./tasks
COPY pipelines ./pipelines
RUN ln -s /opt/kv-cache-bench/dist/src/bin.js /usr/local/bin/kv-cache-bench \
 && chmod 0755 dist/src/bin.js \
 && mkdir -p /work /home/kv-cache-bench \
 && chgrp -R 0 /work /home/kv-cache-bench \
 && chmod -R g=u /work /home/kv-cache-bench

LABEL org.opencontainers.image.title="kv-cache-bench" \
      org.opencontainers.image.description="Proves and measures KV-cache aware routing on llm-d clusters" \
      org.opencontainers.image.source="https://github.com/kv-cache-bench/kv-cache-bench" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0"

ENV HOME=/home/kv-cache-bench \
    NODE_ENV=production \
    NO_UPDATE_NOTIFIER=1
WORKDIR /work
USER 1001
ENTRYPOINT ["node", "/opt/kv-cache-bench/dist/src/bin.js"]
CMD ["--help"]
