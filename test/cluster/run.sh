#!/usr/bin/env bash
# The end-to-end kit for a real cluster with Tekton and llm-d (issue #11): installs the catalog into a
# namespace, runs restart -> hit -> ramp with the shipped PipelineRuns, prints the results, exits 1 on a
# FAIL, and deletes what it created. Prerequisites first (exit 2 naming what is missing); --dry-run
# prints every command and object and changes nothing. All options: test/cluster/run.sh --help
#   test/cluster/run.sh --dry-run
#   test/cluster/run.sh --namespace llm-d --gateway-url http://llm-d-gateway-istio.llm-d.svc.cluster.local
# It runs on the project's Node 24 (npm ci installs it) and the kubectl on PATH (or --kubectl).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
node="$root/node_modules/.bin/node"
if [ ! -x "$node" ]; then
  echo "run.sh: $node is missing: run npm ci in $root first (the kit runs on the project's Node 24)" >&2
  exit 2
fi
exec "$node" "$root/test/cluster/kit/main.ts" "$@"
