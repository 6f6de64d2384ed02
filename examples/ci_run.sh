#!/usr/bin/env bash
# A CI step: test a running API with chapi and leave junit.xml for the CI system.
#
# Imports the API's OpenAPI description, generates a pack (offline planner
# unless OPENAI_MODEL is set), validates and finalizes it, runs it, and writes
# the results as JUnit XML. The step fails when validation, finalization or
# the run fails.
#
# Inputs (environment variables):
#   API_BASE_URL   base URL of the API under test (required)
#   API_TOKEN      bearer token for the API (required; the CI's secret store)
#   API_SPEC       path or URL of the OpenAPI document (default: openapi.yaml)
#   CHAPI_REQUEST  what to test (default: smoke and auth tests)
#   JUNIT_FILE     where to write the report (default: junit.xml)
#
# chapi keeps its database and key file in CHAPI_HOME; unless it is set, this
# step uses a new temporary folder, so every job starts empty. To keep the run
# history across jobs, set CHAPI_DATABASE_URL to a PostgreSQL database (and
# CHAPI_SECRET_KEY), create the project and its environment once, and drop the
# `project create` and `env add` lines below; import each spec version once.
set -euo pipefail

: "${API_BASE_URL:?set API_BASE_URL to the base URL of the API under test}"
: "${API_TOKEN:?set API_TOKEN to the bearer token of the API}"
spec="${API_SPEC:-openapi.yaml}"
request="${CHAPI_REQUEST:-smoke and auth tests}"
junit="${JUNIT_FILE:-junit.xml}"
project="ci"

CHAPI_HOME="${CHAPI_HOME:-$(mktemp -d)}"
export CHAPI_HOME

chapi project create "$project"
# A bare `--secret TOKEN` reads the value from $TOKEN, so it never appears on a
# command line (where the process list would show it).
TOKEN="$API_TOKEN" chapi env add "$project" ci --base-url "$API_BASE_URL" --secret TOKEN
chapi spec import "$project" "$spec"

# With --quiet, `chapi generate` prints only the new pack's id.
pack="$(chapi generate "$project" "$request" --mode json-ir --env ci --quiet)"

chapi validate "$pack"
chapi finalize "$pack"
chapi run "$pack" ci --junit "$junit"
