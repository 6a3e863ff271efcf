#!/usr/bin/env bash
# Used by scripts/interop-peer after the peer's Follow: make alice publish a project, edit it,
# and publish a second one; open a funding call and record a pledge on it (Create and Update
# with proofs); then, when PEER_DIR holds the peer, the peer's actor offers a pledge (alice's
# Accept and Update carry proofs) and sends a Fedify-signed Like, then a tampered one. Alice
# also declares that she uses the second project and provides services for the first (the
# declarations must reach the peer as readable Notes). The first project gets an image with
# its alt text (an Update{Note} with an attachment, PEER_ALT_TEXT). Nine deliveries in all.
set -euo pipefail
auth="Authorization: Bearer $COMMUNS_TOKEN"
json="Content-Type: application/json"
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
id=$(curl -sf -X POST "$COMMUNS_URL/api/v1/projects" -H "$auth" -H "$json" \
  -d '{"name":"Commons Cloud","summary":"A cooperative cloud for public bodies.","license":"AGPL-3.0-or-later","repository_url":"https://code.example/commons-cloud","tags":["commons","cloud"]}' \
  | field id)
curl -sf -X PATCH "$COMMUNS_URL/api/v1/projects/$id" -H "$auth" -H "$json" -d '{"status":"maintained"}' >/dev/null
picture=$(mktemp --suffix=.png)
python3 - "$picture" <<'PY'  # a 64×32 PNG, written with the standard library alone
import struct, sys, zlib
width, height = 64, 32
rows = b"".join(b"\0" + bytes((30, 120, 200)) * width for _ in range(height))
chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
curl -sf -X POST "$COMMUNS_URL/api/v1/projects/$id/media" -H "$auth" \
  -F "file=@$picture;type=image/png" -F "description=${PEER_ALT_TEXT:-Map of the servers}" >/dev/null
rm -f "$picture"
maps=$(curl -sf -X POST "$COMMUNS_URL/api/v1/projects" -H "$auth" -H "$json" \
  -d '{"name":"Libre Maps","license":"MIT","tags":["maps"]}' | field id)
curl -sf -X POST "$COMMUNS_URL/api/v1/declarations" -H "$auth" -H "$json" \
  -d "{\"project\":\"$maps\",\"kind\":\"uses\"}" >/dev/null
curl -sf -X POST "$COMMUNS_URL/api/v1/declarations" -H "$auth" -H "$json" \
  -d "{\"project\":\"$id\",\"kind\":\"serves\",\"services\":[\"hosting\",\"support\"],\"regions\":[\"84\",\"BE\"],\"text\":\"Hosted in Lyon.\"}" >/dev/null
call=$(curl -sf -X POST "$COMMUNS_URL/api/v1/funding-calls" -H "$auth" -H "$json" \
  -d "{\"title\":\"Co-fund Commons Cloud\",\"project_id\":\"$id\",\"goal\":{\"amount\":\"1000.00\",\"currency\":\"EUR\"},\"deadline\":\"2099-01-01\"}")
call_id=$(echo "$call" | field id)
call_uri=$(echo "$call" | field uri)
curl -sf -X POST "$COMMUNS_URL/api/v1/funding-calls/$call_id/pledges" -H "$auth" -H "$json" \
  -d '{"amount":{"amount":"100.00","currency":"EUR"},"sector":"public","funder_name":"La Région"}' >/dev/null
if [ -n "${PEER_DIR:-}" ]; then
  node "$PEER_DIR/proofs.mjs" send --target "$COMMUNS_URL" --call "$call_uri" --peer "$PEER_ACTOR"
fi
