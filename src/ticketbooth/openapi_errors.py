"""Error responses every operation of a kind can give, added to the OpenAPI schema in one place.

Routers document their own domain errors with `responses(...)`. Some answers come from layers in front of
every route instead, and the schema must list them too (the fuzz test checks every status against it):

* 400 INVALID_JSON and 413 PAYLOAD_TOO_LARGE on every operation that takes a JSON body;
* 503 SERVICE_UNAVAILABLE on every /api operation (the database is unreachable; Retry-After is sent).
"""

from typing import Any

from fastapi import FastAPI

_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _add(responses: dict[str, Any], status: str, code: str) -> None:
    entry = responses.setdefault(status, {"description": "", "content": {"application/json": {"schema": _ERROR_REF}}})
    if code not in entry.get("description", ""):
        entry["description"] = ", ".join(filter(None, [entry.get("description"), code]))


def install_common_error_responses(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "requestBody" in operation:
                    _add(responses, "400", "INVALID_JSON")
                    _add(responses, "413", "PAYLOAD_TOO_LARGE")
                if path.startswith("/api/"):
                    _add(responses, "503", "SERVICE_UNAVAILABLE")
        if "ErrorResponse" not in schema.get("components", {}).get("schemas", {}):
            raise RuntimeError("ErrorResponse is not in the schema: document at least one error with responses()")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
