#!/usr/bin/env bash
# Installs schemathesis (PyPI) into <repo>/.venv-schemathesis, for the API's property test
# against its own OpenAPI document (tests/tests/openapi_schemathesis.rs). Idempotent.
#   bash tests/python/schemathesis.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo/.venv-schemathesis"
version='schemathesis>=4.32,<5'
if [[ -x "$venv/bin/schemathesis" ]] && "$venv/bin/pip" show -q schemathesis >/dev/null 2>&1; then
    exit 0
fi
python="${PYTHON:-python3}"
"$python" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "$version"
"$venv/bin/schemathesis" --version
