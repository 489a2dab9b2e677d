#!/usr/bin/env python3
"""Creates an app on a running fovea server and seeds it with a little of
everything (views, actions, errors, resources with a trace id, a long task,
a replay segment, OTLP spans, a source map, an issue state), so that the
query routes that schemathesis calls have rows to return.

Usage: seed.py BASE_URL ADMIN_TOKEN
Prints shell assignments: FOVEA_APP=<app id> FOVEA_KEY=<ingest key>
FOVEA_SERVER_KEY=<server key>; the other ids are fixed (see below).
"""
import json
import sys
import time
import urllib.request
import uuid

base, token = sys.argv[1].rstrip("/"), sys.argv[2]
BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Safari/537.36")


def call(method, path, body=None, headers=None, raw=None):
    # A browser's User-Agent: the intake drops events from bots (urllib's own agent is one).
    h = {"Authorization": f"Bearer {token}", "User-Agent": BROWSER}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    with urllib.request.urlopen(req, timeout=30) as res:
        text = res.read().decode()
        return res.status, (json.loads(text) if text else None)


status, app = call("POST", "/api/v1/apps", {"name": "schemathesis", "origins": ["*"]})
assert status == 201, status
app_id, key, server_key = app["id"], app["ingest_key"], app["server_key"]
call("PATCH", f"/api/v1/apps/{app_id}",
     {"trace_url_template": "https://tracing.example/trace/{trace_id}"})

boundary = "stseedboundary"
smap = json.dumps({"version": 3, "sources": ["src/cart.js"], "names": [], "mappings": "AAAA",
                   "sourcesContent": ["throw 1\n"]})
form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"release\"\r\n\r\n1.0.0\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"url\"\r\n\r\n~/assets/app.min.js.map\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"app.min.js.map\"\r\n"
        f"Content-Type: application/json\r\n\r\n{smap}\r\n--{boundary}--\r\n").encode()
status, sm = call("POST", f"/api/v1/apps/{app_id}/sourcemaps", raw=form,
                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
assert status == 201, status

now = int(time.time() * 1000)
# Fixed ids, also listed in schemathesis.toml's dictionaries so that the
# routes taking them are called with ids that exist.
session = "st-session-0001"
trace_id, span_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
fingerprint = "st-fp-typeerror"
views = [str(uuid.uuid4()) for _ in range(3)]
events = []
for i, (view, route) in enumerate(zip(views, ["/", "/cart", "/orders/:id"])):
    ts = now - 600_000 + i * 60_000
    events.append({
        "type": "view", "event_id": str(uuid.uuid4()), "view_id": view, "version": 1,
        "ts": ts, "url": f"https://shop.example{route.replace(':id', '7')}?token=x", "route": route,
        "loading_type": "initial_load" if i == 0 else "route_change",
        "lcp": 1800 + 900 * i, "fcp": 700 + 300 * i, "ttfb": 120 + 80 * i, "cls": 0.02 * i,
        "inp": 90 + 150 * i, "load": 2100 + 500 * i, "tti": 3000 + 1000 * i,
        "lcp_element": "img#hero", "inp_target": "button#pay", "inp_type": "click",
    })
    events.append({
        "type": "action", "event_id": str(uuid.uuid4()), "view_id": view, "ts": ts + 1000,
        "route": route, "action_type": "click", "name": "Pay now", "target": "button#pay",
        "x": 10, "y": 20, "frustration": ["rage", "dead"] if i == 2 else [],
    })
    events.append({
        "type": "resource", "event_id": str(uuid.uuid4()), "view_id": view, "ts": ts + 1500,
        "route": route, "resource_url": "https://api.shop.example/cart?id=1", "kind": "fetch",
        "method": "GET", "status": 500 if i == 2 else 200, "duration": 300.0 + 400 * i,
        "trace_id": trace_id, "span_id": span_id,
    })
events.append({
    "type": "error", "event_id": str(uuid.uuid4()), "view_id": views[2], "ts": now - 400_000,
    "route": "/orders/:id", "source": "source", "kind": "TypeError",
    "message": "x is undefined", "handled": False, "fingerprint": fingerprint,
    "stack": "TypeError: x is undefined\n    at n (https://shop.example/assets/app.min.js:1:132)",
})
events.append({
    "type": "error", "event_id": str(uuid.uuid4()), "view_id": views[1], "ts": now - 450_000,
    "route": "/cart", "source": "network", "message": "GET https://api.shop.example/cart → 500",
    "resource_url": "https://api.shop.example/cart?id=1", "status": 500, "handled": True,
})
events.append({
    "type": "long_task", "event_id": str(uuid.uuid4()), "view_id": views[1], "ts": now - 500_000,
    "duration": 180.0, "blocking_duration": 130.0, "kind": "loaf",
})
batch = {
    "sdk": {"name": "schemathesis-seed", "version": "1"},
    "session": {"id": session, "user_id": "user-1"},
    "context": {"env": "prod", "release": "1.0.0", "connection": "4g", "viewport": "1280x720"},
    "sent_at": now,
    "events": events,
}
status, out = call("POST", f"/api/v1/intake?key={key}", batch)
assert status == 202, (status, out)

replay = {
    "v": 1, "session_id": session, "view_id": views[0], "index": 0,
    "events": [
        {"type": 4, "timestamp": now - 600_000, "data": {"href": "https://shop.example/", "width": 1280, "height": 720}},
        {"type": 2, "timestamp": now - 599_990, "data": {"node": {"type": 0, "childNodes": [], "id": 1}, "initialOffset": {"left": 0, "top": 0}}},
    ],
}
status, out = call("POST", f"/api/v1/replay?key={key}", replay)
assert status == 202, (status, out)

ns = lambda ms: str(ms * 1_000_000)
otlp = {"resourceSpans": [{
    "resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "shop-api"}},
        {"key": "deployment.environment.name", "value": {"stringValue": "prod"}}]},
    "scopeSpans": [{"spans": [
        {"traceId": trace_id, "spanId": "a1" * 8, "parentSpanId": span_id, "name": "GET /cart",
         "kind": 2, "startTimeUnixNano": ns(now - 598_000), "endTimeUnixNano": ns(now - 597_000),
         "status": {"code": 2}},
        {"traceId": trace_id, "spanId": "b2" * 8, "parentSpanId": "a1" * 8, "name": "SELECT cart",
         "kind": 3, "startTimeUnixNano": ns(now - 597_900), "endTimeUnixNano": ns(now - 597_200)},
    ]}]}]}
req = urllib.request.Request(base + "/v1/traces", data=json.dumps(otlp).encode(), method="POST",
                             headers={"Content-Type": "application/json", "x-fovea-key": server_key})
with urllib.request.urlopen(req, timeout=30) as res:
    assert res.status == 200, res.status


# Wait for the writer to store everything.
for _ in range(100):
    _, issues = call("GET", f"/api/v1/apps/{app_id}/issues")
    _, sessions = call("GET", f"/api/v1/apps/{app_id}/sessions")
    _, services = call("GET", f"/api/v1/apps/{app_id}/services")
    _, replay = call("GET", f"/api/v1/apps/{app_id}/sessions/{session}/replay")
    if len(issues["issues"]) == 2 and sessions["sessions"] and services["services"] and replay["segments"]:
        break
    time.sleep(0.1)
else:
    sys.exit("the seeded events never showed up")
call("PATCH", f"/api/v1/apps/{app_id}/issues/{fingerprint}",
     {"status": "resolved", "resolved_in_release": "1.0.0"})

for k, v in {"FOVEA_APP": app_id, "FOVEA_KEY": key, "FOVEA_SERVER_KEY": server_key}.items():
    print(f"{k}={v}")
