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

import base64
import functools
import json
import random
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class FakeAkeyless:
    def __init__(self) -> None:
        self.targets: dict[str, dict[str, Any]] = {}
        self.auth_methods: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.health_status = 200
        self.url = ""
        self.api_url = ""
        self.api_keys: dict[str, str] = {}
        """access ID -> access key accepted by ``/auth`` (``access_key`` login)."""
        self.aws_iam_access_ids: set[str] = set()
        """Access IDs accepted by ``/auth`` with any well-formed AWS ``cloud_id``."""
        self.session_signed_access_ids = False
        """When True, ``/auth`` also accepts any access ID whose ``cloud_id`` an STS session
        signed (an ``ASIA`` key ID): the per-account deployer auth methods, bound to the
        bootstrap roles, which live in the stand-in provider's world, not in this fake."""
        self.issued_tokens: set[str] = {"t-valid"}
        """Tokens the other routes accept: ``t-valid`` and each one ``/auth`` issued."""
        self.aws_iam_logins: list[tuple[str, str]] = []
        """(access ID, the key ID that signed its ``cloud_id``) of every AWS IAM login."""
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
            elif body.get("token") not in fake.issued_tokens:
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
            signer = signing_key_id(str(body.get("cloud-id") or ""))
            if kind == "aws_iam":
                fake.aws_iam_logins.append((access_id, signer))
            by_session = fake.session_signed_access_ids and signer.startswith("ASIA")
            by_aws = kind == "aws_iam" and (access_id in fake.aws_iam_access_ids or by_session)
            if by_key or (by_aws and body.get("cloud-id")):
                # A new token per login, as Akeyless issues; "t-valid" for the logins the
                # tests configure by name.
                token = f"t-{access_id}-{len(fake.issued_tokens)}" if by_session else "t-valid"
                fake.issued_tokens.add(token)
                self._reply(200, {"token": token})
            else:
                self._reply(401, {"error": "access denied"})

    return Handler


def signing_key_id(cloud_id: str) -> str:
    """The AWS key ID that signed an AWS IAM login's ``cloud_id`` (akeyless_cloud_id's format:
    base64 JSON whose ``sts_request_headers`` hold the SigV4 ``Authorization``), or ""."""
    try:
        signed = json.loads(base64.b64decode(cloud_id))
        headers = json.loads(base64.b64decode(signed["sts_request_headers"]))
        return str(headers["Authorization"][0].split("Credential=")[1].split("/")[0])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


@functools.cache
def test_certificate() -> tuple[str, str]:
    """(certificate, key) PEM files of a self-signed certificate for 127.0.0.1, made once
    per process: the fake's TLS listener (``api_url``), trusted through
    ``AKEYLESS_GATEWAY_ORG_CA_BUNDLE``."""
    import datetime
    import ipaddress
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake akeyless")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="fake-akeyless-tls-"))
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(folder / "cert.pem"), str(folder / "key.pem")


@contextmanager
def running_fake_akeyless() -> Iterator[FakeAkeyless]:
    """The fake on two listeners sharing its state: plain HTTP at ``url`` (the Gateways of
    the tests) and TLS at ``api_url`` (Akeyless's API, which the config requires https for)."""
    fake = FakeAkeyless()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    secure = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*test_certificate())
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    fake.api_url = f"https://127.0.0.1:{secure.server_address[1]}"
    # Poll every 5 ms: shutdown() waits until the loop notices (socketserver.serve_forever),
    # and a test's teardown waits for shutdown().
    threads = [
        threading.Thread(target=listener.serve_forever, args=(0.005,), daemon=True)
        for listener in (server, secure)
    ]
    for thread in threads:
        thread.start()
    try:
        yield fake
    finally:
        for listener in (server, secure):
            listener.shutdown()
            listener.server_close()
