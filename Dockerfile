# kv-cache-bench task image: one CLI, every Tekton step's entrypoint.
# OpenShift restricted-v2 runs it as an arbitrary UID in group 0 (the image USER is ignored there; the
# pipelines-scc honours it): everything it writes is group-0 writable and HOME points at a writable
# directory. No shell is needed by the Tasks (command/args only). test/unit/dockerfile checks these
# invariants; test/integration/image runs what this image runs, as such a UID, on a read-only install.
#
# Node 24 LTS, the same major the project pins with the `node` devDependency (DESIGN.md, Runtime).
# Pinned by tag and digest: the digest wins, the tag says what it was. It is the multi-arch image index
# published for the tag in May 2026; refresh both together:
#   skopeo inspect --format '{{.Digest}}' docker://registry.access.redhat.com/ubi9/nodejs-24-minimal:1
ARG NODE_IMAGE=registry.access.redhat.com/ubi9/nodejs-24-minimal:1@sha256:f42698c74c3caa32e9729342152fb5710e21b5a8ed58cd286290155d48785a39

FROM ${NODE_IMAGE} AS build
# The build stage is not shipped: root is fine here.
USER 0
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the image already runs Node 24; the `node` devDependency's binary download is for dev
# machines (without its install script npm links no node_modules/.bin/node, so scripts use the image's).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
USER 0
WORKDIR /opt/kv-cache-bench
# Production dependencies only, from the lockfile: what test/integration/image installs with the same flags.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY tasks ./tasks
COPY pipelines ./pipelines
# /opt/kv-cache-bench stays root-owned and read-only (0755/0644): nothing writes there. The directories
# the CLI writes to (its working directory for kv-cache-bench-out/, and HOME) are group 0 with the owner's
# rights, the OpenShift recipe for arbitrary UIDs. Tekton mounts /tekton/results and /workspace itself.
RUN ln -s /opt/kv-cache-bench/dist/src/bin.js /usr/local/bin/kv-cache-bench \
 && chmod 0755 dist/src/bin.js \
 && mkdir -p /work /home/kv-cache-bench \
 && chgrp -R 0 /work /home/kv-cache-bench \
 && chmod -R g=u /work /home/kv-cache-bench

LABEL org.opencontainers.image.title="kv-cache-bench" \
      org.opencontainers.image.description="Proves and measures KV-cache aware routing on llm-d clusters" \
      org.opencontainers.image.source="https://github.com/kv-cache-bench/kv-cache-bench" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="registry.access.redhat.com/ubi9/nodejs-24-minimal:1" \
      io.k8s.display-name="kv-cache-bench" \
      io.k8s.description="Tekton task image: restart llm-d decode pods, load the gateway, report prefix-cache hit rates" \
      io.openshift.tags="tekton,llm-d,vllm,kv-cache"

ENV HOME=/home/kv-cache-bench \
    NODE_ENV=production \
    NO_UPDATE_NOTIFIER=1
WORKDIR /work
USER 1001
ENTRYPOINT ["node", "/opt/kv-cache-bench/dist/src/bin.js"]
CMD ["--help"]
