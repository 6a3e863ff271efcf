#!/usr/bin/env bash
# Used by scripts/interop-peer after the peer's Follow: make alice publish a project,
# edit it, and publish a second one (three deliveries).
set -euo pipefail
auth="Authorization: Bearer $COMMUNS_TOKEN"
json="Content-Type: application/json"
id=$(curl -sf -X POST "$COMMUNS_URL/api/v1/projects" -H "$auth" -H "$json" \
  -d '{"name":"Commons Cloud","summary":"A cooperative cloud for public bodies.","license":"AGPL-3.0-or-later","repository_url":"https://code.example/commons-cloud","tags":["commons","cloud"]}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf -X PATCH "$COMMUNS_URL/api/v1/projects/$id" -H "$auth" -H "$json" -d '{"status":"maintained"}' >/dev/null
curl -sf -X POST "$COMMUNS_URL/api/v1/projects" -H "$auth" -H "$json" \
  -d '{"name":"Libre Maps","license":"MIT","tags":["maps"]}' >/dev/null
