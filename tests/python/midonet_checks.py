"""Schemathesis checks for the api-gateway (tests/tests/openapi_schemathesis.rs): every error
answer is MidoNet's error body, {"message": str, "code": <the HTTP status>, ...}.

Loaded with SCHEMATHESIS_HOOKS=midonet_checks and this directory on PYTHONPATH."""

import json

import schemathesis


@schemathesis.check
def midonet_error_format(ctx, response, case):
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.text)
    except ValueError:
        raise AssertionError(
            f"{response.status_code} without a JSON body: {response.text[:200]!r}"
        )
    assert isinstance(body, dict), f"the error body is not an object: {body!r}"
    assert isinstance(body.get("message"), str), f"the error body has no message: {body!r}"
    assert body.get("code") == response.status_code, (
        f"code {body.get('code')!r} is not the status {response.status_code}: {body!r}"
    )
    return None
