"""A local HTTP server speaking the documented JSON of the Akeyless endpoints we call.

Bound to 127.0.0.1 on a free port, in a thread; records each request body. It answers
both at the root (the SaaS API) and under ``/api/v2`` (how a Gateway serves the same API:
<gateway>:8000/api/v2).

Endpoints, each as the official SDK ``akeyless`` 5.0.x calls it (``api/v2_api.py``: a POST
of the request model's JSON) and reads its answer (the response model's ``attribute_map``):
``/auth`` (``Auth`` -> ``AuthOutput.token``), ``/target-get-details`` (``TargetGetDetails``
-> ``GetTargetDetailsOutput``), ``/get-auth-method`` (``GetAuthMethod`` -> ``AuthMethod``),
``/get-role`` (``GetRole`` -> ``Role``). An unknown object is a 404, as the Terraform
provider expects of the real API (terraform-provider-akeyless ``akeyless/resource_role.go``,
``resource_auth_method_aws_iam.go``, ``resource_aws_target.go``: ``http.StatusNotFound``);
a missing or wrong token a 401.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeAkeyless:
    def __init__(self) -> None:
        self.targets: dict[str, dict[str, Any]] = {}
        self.auth_methods: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.health_status = 200
        self.url = ""
        self.api_keys: dict[str, str] = {}
        """access ID -> access key accepted by ``/auth`` (``access_key`` login)."""
        self.aws_iam_access_ids: set[str] = set()
        """Access IDs accepted by ``/auth`` with any well-formed AWS ``cloud_id``."""
        self.faults: list[str] = []
        """The next requests' faults, in order: ``"502"`` (Bad Gateway) or ``"reset"`` (the
        connection closed with a TCP RST, no answer); each is used once."""
        self.fault_share = 0.0
        """Besides ``faults``: this share of requests fails, half 502s, half resets."""
        self.fault_random = random.Random(7)
        self.faulted: list[tuple[str, str]] = []
        """(route, fault) of each request made to fail."""
        self._lock = threading.Lock()

    def next_fault(self, route: str) -> str | None:
        with self._lock:
            if self.faults:
                fault: str | None = self.faults.pop(0)
            elif self.fault_share and self.fault_random.random() < self.fault_share:
                fault = self.fault_random.choice(["502", "reset"])
            else:
                fault = None
            if fault is not None:
                self.faulted.append((route, fault))
            return fault

    def add_aws_target(self, name: str, role_arn: str | None, external_id: str | None) -> None:
        option: dict[str, Any] = {"is_enabled": external_id is not None}
        if role_arn is not None:
            option["role_arn"] = role_arn
        if external_id is not None:
            option["generated_external_id"] = external_id
        self.targets[name] = {
            "target": {"target_name": name, "target_type": "aws"},
            "value": {
                "aws_target_details": {
                    "use_gw_cloud_identity": True,
                    "gw_cloud_identity_external_id_opt": option,
                }
            },
        }

    def add_aws_iam_auth_method(
        self,
        name: str,
        access_id: str,
        account_ids: list[str],
        arns: list[str],
        sts_url: str = "https://sts.amazonaws.com",
    ) -> None:
        """An AWS IAM auth method as ``get-auth-method`` answers it (``AuthMethod``)."""
        self.auth_methods[name] = {
            "auth_method_name": name,
            "auth_method_access_id": access_id,
            "access_info": {
                "rules_type": "aws_iam",
                "aws_iam_access_rules": {
                    "account_id": account_ids,
                    "arn": arns,
                    "sts_endpoint": sts_url,
                },
            },
        }

    def add_role(
        self, name: str, rules: list[tuple[str, str, list[str]]], auth_methods: list[str]
    ) -> None:
        """An access role as ``get-role`` answers it (``Role``): rules (type, path,
        capabilities) and the associated auth methods' names."""
        self.roles[name] = {
            "role_name": name,
            "rules": {
                "admin": False,
                "path_rules": [
                    {"type": kind, "path": path, "capabilities": capabilities}
                    for kind, path, capabilities in rules
                ],
            },
            "role_auth_methods_assoc": [{"auth_method_name": am} for am in auth_methods],
        }


def _handler(fake: FakeAkeyless) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        @property
        def route(self) -> str:
            return self.path.removeprefix("/api/v2")

        def _faulted(self) -> bool:
            """Fail this request as asked: a 502, or a reset (SO_LINGER 0, then close: RST)."""
            fault = fake.next_fault(self.route)
            if fault == "502":
                self._reply(502, {"error": "Bad Gateway"})
            elif fault == "reset":
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.close_connection = True
                self.connection.close()
            return fault is not None

        def do_GET(self) -> None:
            if self._faulted():
                return
            if self.route == "/health":
                self._reply(fake.health_status, {"status": "ok"})
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self._faulted():
                return
            fake.requests.append((self.route, body))
            objects = {
                "/target-get-details": fake.targets,
                "/get-auth-method": fake.auth_methods,
                "/get-role": fake.roles,
            }
            if self.route == "/auth":
                self._auth(body)
            elif self.route not in (*objects, "/rotated-secret-update-aws"):
                self._reply(404, {"error": "not found"})
            elif body.get("token") != "t-valid":
                self._reply(401, {"error": "Unauthorized"})
            elif self.route == "/rotated-secret-update-aws":
                self._reply(200, {"name": body.get("name")})
            elif body.get("name") not in objects[self.route]:
                self._reply(404, {"error": f"{body.get('name')} not found"})
            else:
                self._reply(200, objects[self.route][body["name"]])

        def _auth(self, body: dict[str, Any]) -> None:
            access_id, kind = str(body.get("access-id")), body.get("access-type")
            by_key = kind == "access_key" and fake.api_keys.get(access_id) == body.get("access-key")
            by_aws = kind == "aws_iam" and access_id in fake.aws_iam_access_ids
            if by_key or (by_aws and body.get("cloud-id")):
                self._reply(200, {"token": "t-valid"})
            else:
                self._reply(401, {"error": "access denied"})

    return Handler


@contextmanager
def running_fake_akeyless() -> Iterator[FakeAkeyless]:
    fake = FakeAkeyless()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    # Poll every 5 ms: shutdown() waits until the loop notices (socketserver.serve_forever),
    # and a test's teardown waits for shutdown().
    thread = threading.Thread(target=server.serve_forever, args=(0.005,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
