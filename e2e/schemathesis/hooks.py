"""Schemathesis hooks (loaded through schemathesis.toml): the rules between
parameters that an OpenAPI document cannot state, applied to generated
requests so that a request the document calls valid is valid for fovea
too. Only values that are already valid one by one are adjusted, so a
negative case stays negative.

- Query routes: `from` < `to`, a range of at most 400 days, and for time
  series at most 2000 buckets (crates/query/src/params.rs, `filters` and
  `timeseries`).
- PATCH .../issues/{fingerprint}: `resolved_in_release` only with status
  `resolved` (crates/server/src/issues.rs).
- JSON bodies: a float with no fraction (`3.0`) is an integer to JSON
  Schema but not to serde's integer types; such floats are sent as
  integers. Browsers' JSON.stringify never writes `3.0`.
"""

import time

import schemathesis

DAY_MS = 86_400_000
MAX_RANGE_MS = 400 * DAY_MS
MAX_TS = 253_402_300_799_999
MAX_POINTS = 2000


def _as_ms(value):
    """The value as epoch ms when it is a valid one, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            return None
    if isinstance(value, int) and 0 <= value <= MAX_TS:
        return value
    return None


def _as_interval(value):
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            return None
    if isinstance(value, int) and not isinstance(value, bool) and 60 <= value <= 86_400:
        return value
    return None


def _fix_range(operation, query):
    if not query or "/apps/{app}/" not in operation.path:
        return query
    if ("from" in query and _as_ms(query["from"]) is None) or (
        "to" in query and _as_ms(query["to"]) is None
    ):
        return query  # an invalid value: leave the case as generated
    now = int(time.time() * 1000)
    to = _as_ms(query.get("to"))
    start = _as_ms(query.get("from"))
    end = to if to is not None else now
    begin = start if start is not None else end - DAY_MS
    longest = MAX_RANGE_MS
    interval = _as_interval(query.get("interval"))
    if interval is not None and operation.path.endswith("/timeseries"):
        longest = min(longest, interval * 1000 * MAX_POINTS)
    if begin < end and end - begin <= longest:
        return query
    # Keep `from` when it was given and move `to`; else move `from`.
    if start is not None and start + 3_600_000 <= MAX_TS:
        query["to"] = start + 3_600_000
    else:
        query["to"] = end if end > 3_600_000 else 3_600_000
        query["from"] = query["to"] - 3_600_000
    return query


def _integral_floats_as_ints(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**64:
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    return value


def _fix_body(operation, body):
    body = _integral_floats_as_ints(body)
    if (
        operation.method.upper() == "PATCH"
        and operation.path.endswith("/issues/{fingerprint}")
        and isinstance(body, dict)
        and body.get("status") != "resolved"
        and isinstance(body.get("resolved_in_release"), str)
    ):
        body.pop("resolved_in_release")
    return body


# `map_case`, not `map_query` / `map_body`: only case hooks run in every
# phase (the coverage phase skips the others).
@schemathesis.hook
def map_case(context, case):
    operation = context.operation or case.operation
    if isinstance(case.query, dict):
        case.query = _fix_range(operation, case.query)
    if isinstance(case.body, (dict, list)) and "json" in (case.media_type or ""):
        case.body = _fix_body(operation, case.body)
    return case
