"""An API fuzz run with schemathesis against /openapi.json: no 5xx, every status code, content type and body as the
document declares them. Bounded: a fixed number of generated requests per operation (well under a minute here).

Left out of the fuzzing, and covered by tests/test_web_api.py: the operations that start long work whose size a
fuzzer would pick at the maximum (background jobs, comparisons, the report).
"""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from detente.web.app import create_app  # noqa: E402

app = create_app("sqlite://")
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(
    path_regex=r"^/api/(jobs/(ensemble|sensitivity|compare|strategy)|compare|report)$", method="POST"
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_fuzz(case):
    case.call_and_validate(checks=CHECKS)
