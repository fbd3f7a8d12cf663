#!/usr/bin/env bash
# Installs MidoNet's public Python client (PyPI `midonetclient==5.2.0`, Python 2 code) into
# <repo>/.venv and converts it to Python 3, so that `.venv/bin/midonet-cli` runs as an outside
# client against the api-gateway (tests/tests/python_client.rs).
#
#   bash tests/python/setup.sh          # idempotent; a second run returns at once
#   PYTHON=python3.11 bash tests/python/setup.sh
#
# The conversion is lib2to3 (`python3 -m lib2to3 -w -n`, still shipped with Python <= 3.12) over
# the installed package and the installed `midonet-cli` script, plus the few hand fixes listed
# in PATCHES below. A marker file records the hash of this script: when the script changes, the
# venv is rebuilt from scratch.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo/.venv"
marker="$venv/.midonetclient-py3"
python="${PYTHON:-python3}"

recipe="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
ready() { [[ -f "$marker" && "$(cat "$marker")" == "$recipe" && -x "$venv/bin/midonet-cli" ]]; }
ready && exit 0

# One builder at a time (a test and CI may call this concurrently); re-check after the wait.
if command -v flock >/dev/null; then
    exec 9>"${TMPDIR:-/tmp}/midonetclient-venv-$(echo "$venv" | sha256sum | cut -c1-16).lock"
    flock 9
    ready && exit 0
fi

if ! "$python" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 8)' 2>/dev/null; then
    echo "setup.sh: $python (>= 3.8, with the venv and ensurepip modules) is needed;" \
        "on Debian: apt-get install -y python3 python3-venv" >&2
    exit 1
fi
if ! "$python" -W ignore -c 'import lib2to3.main' 2>/dev/null; then
    echo "setup.sh: $python has no lib2to3 (removed in Python 3.13); use Python 3.8..3.12," \
        "e.g. PYTHON=python3.11, or on Debian: apt-get install -y python3-lib2to3" >&2
    exit 1
fi

echo "setup.sh: building $venv with midonetclient 5.2.0 converted to Python 3" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
# midonetclient declares `httplib2` and `webob` without versions; pin versions known to work.
"$venv/bin/pip" install --disable-pip-version-check --no-cache-dir -q \
    midonetclient==5.2.0 httplib2==0.22.0 pyparsing==3.1.4 WebOb==1.8.9

pkg="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/midonetclient"
cli="$venv/bin/midonet-cli"

# -n: no .bak files; -w: write. lib2to3 warns about its own deprecation; the log goes to a file.
"$venv/bin/python" -W ignore -m lib2to3 -w -n "$pkg" "$cli" >"$venv/lib2to3.log" 2>&1 || {
    tail -20 "$venv/lib2to3.log" >&2
    exit 1
}

# Hand fixes that lib2to3 does not make. Each one replaces an exact snippet, is skipped when the
# replacement is already there (idempotent), and fails loudly when neither is found.
"$venv/bin/python" - "$pkg" "$cli" <<'PATCHES'
import sys

pkg, cli = sys.argv[1], sys.argv[2]

PATCHES = [
    # 1. httplib2 returns the body as bytes under Python 3. Decode it once, so that JSON parsing
    #    and error reporting see text as they did under Python 2: an HTTP error becomes a webob
    #    exception whose detail is the body, and midonet-cli prints "Internal error: <body>".
    #    With bytes, str(exception) raises TypeError and the CLI dies with exit code 2.
    (pkg + "/api_lib.py",
     "        raise exc.MidoApiConnectionError()\n\n"
     "    LOG.debug(\"do_request: response=%s | content=%s\" % (response, content))\n",
     "        raise exc.MidoApiConnectionError()\n\n"
     "    if isinstance(content, bytes):  # py3 fix 1\n"
     "        content = content.decode('utf-8', 'replace')\n"
     "    LOG.debug(\"do_request: response=%s | content=%s\" % (response, content))\n"),
    (pkg + "/api_lib.py",
     "        raise exc.MidoApiConnectionError()\n\n"
     "    if is_http_error(response['status']):\n"
     "        err = http_errors[response['status']](content)\n"
     "        LOG.error(\"Got HTTP error",
     "        raise exc.MidoApiConnectionError()\n\n"
     "    if isinstance(content, bytes):  # py3 fix 1\n"
     "        content = content.decode('utf-8', 'replace')\n"
     "    if is_http_error(response['status']):\n"
     "        err = http_errors[response['status']](content)\n"
     "        LOG.error(\"Got HTTP error"),
    # 2. inspect.getargspec() is gone in Python 3.11; `clear <field>` (unset) uses it.
    (cli,
     "len(inspect.getargspec(func).args)",
     "len(inspect.getfullargspec(func).args)"),
    # 3. Python 2 ordered None below every number, so a host whose containerLimit is null
    #    printed "container-limit no-limit"; Python 3 raises TypeError. Keep the Python 2 result.
    (cli,
     'return "no-limit" if limit < 0 else limit',
     'return "no-limit" if limit is None or limit < 0 else limit'),
    # 4. Basic auth (not used with -A): base64 works on bytes under Python 3.
    (pkg + "/auth_lib.py",
     "auth = base64.b64encode(self.username + ':' + self.password)",
     "auth = base64.b64encode((self.username + ':' + self.password)"
     ".encode('utf-8')).decode('ascii')"),
]

for path, old, new in PATCHES:
    with open(path) as f:
        text = f.read()
    if new in text:
        continue
    if text.count(old) != 1:
        sys.exit("setup.sh: cannot patch %s: expected snippet found %d times:\n%s"
                 % (path, text.count(old), old))
    with open(path, "w") as f:
        f.write(text.replace(old, new))
PATCHES

# Byte-compile now, so a syntax error left by the conversion shows here and not in a test.
"$venv/bin/python" -m compileall -q "$pkg" >/dev/null
"$venv/bin/python" -m py_compile "$cli"
# Smoke test: the CLI starts and parses its options (no server needed).
"$cli" --help >/dev/null

echo "$recipe" >"$marker"
echo "setup.sh: ready: $cli" >&2
