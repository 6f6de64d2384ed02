#!/usr/bin/env bash
# Smoke and auth checks of the pets API, printed as TAP.
set -euo pipefail
: "${BASE_URL:?BASE_URL must be set}"
: "${TOKEN:?TOKEN must be set}"

echo "1..3"

status=$(curl -sS -o /dev/null -w '%{http_code}' "${BASE_URL}/health")
if [ "$status" = "200" ]; then echo "ok 1 - health answers 200"; else echo "not ok 1 - health answers 200"; echo "# got $status"; fi

status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN}" "${BASE_URL}/pets")
if [ "$status" = "200" ]; then echo "ok 2 - pets list with a valid token"; else echo "not ok 2 - pets list with a valid token"; echo "# got $status"; fi

status=$(curl -sS -o /dev/null -w '%{http_code}' "${BASE_URL}/pets")
if [ "$status" = "401" ]; then echo "ok 3 - pets list without a token is refused"; else echo "not ok 3 - pets list without a token is refused"; echo "# got $status"; fi
