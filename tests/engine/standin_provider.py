"""A stand-in resource provider plugin: ``python -m tests.engine.standin_provider NAME VERSION``.

The real engine launches it as ``pulumi-resource-<NAME>`` (a script in the plugin folder that
``tests/engine/plugins.py`` installs) and reads the port it listens on from its first line of
stdout (sdk/go/common/resource/plugin/plugin.go, ``newPlugin``). It replaces only the cloud: it
accepts every resource and invoke, returns the inputs as outputs plus deterministic computed
outputs (IDs, ARNs, a load balancer's DNS name, an auth method's access ID), and keeps nothing:
the engine's state is the only record, so ``up`` twice is a no-op and ``refresh`` reads back
what the state holds.

Served with the gRPC stubs the Python SDK ships (``pulumi.runtime.proto``), as
``pulumi/dynamic/__main__.py`` serves the dynamic provider. The protocol is
proto/pulumi/provider.proto; the calls the engine makes are in
sdk/go/common/resource/plugin/provider_plugin.go (Unimplemented ``Handshake``, ``GetSchema`` and
the rest are tolerated there).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Mapping
from concurrent import futures
from threading import Event
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

# The sentinel the engine sends for a value not known during a preview
# (sdk/go/common/resource/plugin/rpc.go, UnknownStringValue).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _digest(urn: str, length: int = 12) -> str:
    return hashlib.sha256(urn.encode()).hexdigest()[:length]


def _name(urn: str) -> str:
    """The resource's logical name: the URN's last ``::`` segment."""
    return urn.rsplit("::", 1)[-1]


def _aws_arn(token: str, urn: str, inputs: Mapping[str, Any], account: str) -> str:
    """An ARN of the right service and resource type, e.g. ``arn:aws:iam::<acct>:role/<name>``."""
    module = token.split(":")[1].split("/")[0]  # aws:iam/role:Role -> iam
    kind = token.rsplit(":", 1)[-1]
    kind = kind[0].lower() + kind[1:]
    name = inputs.get("name") or _name(urn)
    if module == "iam":  # global, and the path is part of the ARN: role/akeyless/<name>
        return f"arn:aws:iam::{account}:{kind}{inputs.get('path') or '/'}{name}"
    return f"arn:aws:{module}:us-east-1:{account}:{kind}/{name}"


def _account(config: Mapping[str, Any]) -> str:
    """The account the AWS provider is pinned to (``allowedAccountIds``; a bridged provider
    may receive it JSON-encoded)."""
    accounts = config.get("allowedAccountIds") or []
    if isinstance(accounts, str):
        accounts = json.loads(accounts) if accounts.startswith("[") else [accounts]
    return str(accounts[0]) if accounts else "000000000000"


def computed_outputs(
    token: str, urn: str, inputs: Mapping[str, Any], config: Mapping[str, Any]
) -> dict[str, Any]:
    """The outputs a real provider computes, derived only from the URN and the inputs."""
    outputs: dict[str, Any] = {}
    package = token.split(":")[0]
    if package == "aws":
        account = _account(config)
        outputs["arn"] = _aws_arn(token, urn, inputs, account)
        outputs.setdefault("tagsAll", inputs.get("tags") or {})
        if token == "aws:lb/loadBalancer:LoadBalancer":
            outputs["dnsName"] = f"{_name(urn)[:20]}-{_digest(urn, 8)}.elb.us-east-1.amazonaws.com"
        if token == "aws:ec2/launchTemplate:LaunchTemplate":
            # The Auto Scaling group runs latest_version: a missing output would be unknown in
            # every preview, so the group would always show an update.
            outputs |= {"latestVersion": 1, "defaultVersion": 1}
        if token == "aws:iam/role:Role":
            outputs["uniqueId"] = "AROA" + _digest(urn, 16).upper()
    if package == "akeyless" and token.startswith("akeyless:index/authMethod"):
        outputs["accessId"] = f"p-{_digest(urn)}"
    if "name" not in inputs and package != "pulumi":
        outputs["name"] = _name(urn)
    return outputs


INVOKE_RESULTS: dict[str, Any] = {
    # aws.eks.get_cluster: what the Helm release's kubeconfig reads.
    "aws:eks/getCluster:getCluster": lambda args: {
        "name": args.get("name"),
        "endpoint": f"https://{_digest(str(args.get('name')))}.gr7.us-east-1.eks.amazonaws.com",
        "certificateAuthorities": [{"data": "c3RhbmQtaW4tY2E="}],
        "arn": f"arn:aws:eks:us-east-1:000000000000:cluster/{args.get('name')}",
    },
}


FAULTS_VARIABLE = "STANDIN_FAULTS"
"""A JSON file saying which AWS calls fail, as the real provider fails them (chaos tests):
``{"throttle": {"<account>": N}, "deny": ["<account>"], "delay_seconds": S}``. The first N
creates/updates in a throttled account fail with AWS's throttling error (counted in
``<file>.count``, across provider processes); every one in a denied account fails with an
access denial; every create/update/delete takes S seconds (a window to kill the run in)."""

# The text pulumi-aws (the Terraform AWS provider on aws-sdk-go-v2) gives once the SDK's own
# retries are spent: aws/retry/errors.go (MaxAttemptsError), aws/transport/http/
# response_error.go (ResponseError), smithy-go errors.go (GenericAPIError: "api error C: M").
THROTTLED = (
    "operation error IAM: CreateRole, exceeded maximum number of attempts, 25, https response "
    "error StatusCode: 400, RequestID: 6f0c3c3e-0000-4000-8000-000000000000, api error "
    "Throttling: Rate exceeded"
)
DENIED = (
    "operation error IAM: CreateRole, https response error StatusCode: 403, RequestID: "
    "6f0c3c3e-0000-4000-8000-000000000001, api error AccessDenied: User: "
    "arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/deployer is not "
    "authorized to perform: iam:CreateRole"
)


def _faults() -> dict[str, Any]:
    path = os.environ.get(FAULTS_VARIABLE)
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        faults: dict[str, Any] = json.load(handle)
    return faults


def _injected_failure(token: str, account: str) -> str | None:
    """The error this AWS call fails with, if the chaos file says so (after its delay)."""
    faults = _faults()
    time.sleep(float(faults.get("delay_seconds", 0)))
    if not token.startswith("aws:"):
        return None
    if account in faults.get("deny", []):
        return DENIED.format(account=account)
    allowed = int(faults.get("throttle", {}).get(account, 0))
    if not allowed:
        return None
    with open(os.environ[FAULTS_VARIABLE] + ".count", "a+", encoding="utf-8") as counter:
        fcntl.flock(counter, fcntl.LOCK_EX)
        counter.seek(0)
        counts: dict[str, int] = json.loads(counter.read() or "{}")
        if counts.get(account, 0) >= allowed:
            return None
        counts[account] = counts.get(account, 0) + 1
        counter.seek(0)
        counter.truncate()
        counter.write(json.dumps(counts))
    return THROTTLED


DRIFT_VARIABLE = "STANDIN_DRIFT"
"""A JSON file of what was changed behind Pulumi's back: ``{"<resource name>": {"<property>":
<value as the cloud now has it>}}``; ``Read`` (a refresh) reports it."""


def _drifted(name: str) -> dict[str, Any]:
    """The properties of resource ``name`` the drift file says changed in the cloud."""
    path = os.environ.get(DRIFT_VARIABLE)
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        changed: dict[str, Any] = json.load(handle).get(name) or {}
    return changed


def _dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return MessageToDict(message) if message is not None else {}


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message


class StandInProvider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version
        self.config: dict[str, Any] = {}

    # --- the provider itself ---------------------------------------------------------

    def GetPluginInfo(self, request: Any, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=self.version)

    def CheckConfig(self, request: Any, context: Any) -> provider_pb2.CheckResponse:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> provider_pb2.DiffResponse:
        return self._diff(_dict(request.old_inputs or request.olds), _dict(request.news))

    def Configure(self, request: Any, context: Any) -> provider_pb2.ConfigureResponse:
        self.config = _dict(request.args)
        # No supportsPreview: the engine shows every computed output as unknown in a preview,
        # as it does for a create with a real provider.
        return provider_pb2.ConfigureResponse(acceptSecrets=True, acceptResources=True)

    # --- resources -------------------------------------------------------------------

    def Check(self, request: Any, context: Any) -> provider_pb2.CheckResponse:
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> provider_pb2.DiffResponse:
        olds = _dict(request.old_inputs) if request.HasField("old_inputs") else _dict(request.olds)
        return self._diff(olds, _dict(request.news))

    @staticmethod
    def _diff(olds: Mapping[str, Any], news: Mapping[str, Any]) -> provider_pb2.DiffResponse:
        changed = sorted(key for key in set(olds) | set(news) if olds.get(key) != news.get(key))
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME
            if changed
            else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=changed,
        )

    def _outputs(self, token: str, urn: str, inputs: dict[str, Any]) -> struct_pb2.Struct:
        return _struct({**inputs, **computed_outputs(token, urn, inputs, self.config)})

    def _fail_if_told(self, token: str, urn: str, context: Any) -> None:
        failure = _injected_failure(token, _account(self.config))
        if failure is not None:
            # How a provider fails a resource operation: a gRPC error whose message the engine
            # prints under the resource in the CLI's diagnostics.
            context.abort(grpc.StatusCode.UNKNOWN, f"creating {_name(urn)}: {failure}")

    def Create(self, request: Any, context: Any) -> provider_pb2.CreateResponse:
        inputs = _dict(request.properties)
        token = request.type or request.urn.split("::")[-2].split("$")[-1]
        self._fail_if_told(token, request.urn, context)
        return provider_pb2.CreateResponse(
            id=f"{_name(request.urn)}-{_digest(request.urn, 8)}",
            properties=self._outputs(token, request.urn, inputs),
        )

    def Read(self, request: Any, context: Any) -> provider_pb2.ReadResponse:
        """The resource as the cloud holds it: as the state says, unless the drift file says
        it was changed behind Pulumi's back. A bridged provider's Read returns the refreshed
        state as the outputs and the inputs extracted from it (pulumi-terraform-bridge
        pkg/tfbridge/provider.go, ``Read``: ``extractInputsFromOutputs``), so both change."""
        changed = _drifted(_name(request.urn))
        if not changed:
            return provider_pb2.ReadResponse(
                id=request.id, properties=request.properties, inputs=request.inputs
            )
        return provider_pb2.ReadResponse(
            id=request.id,
            properties=_struct({**_dict(request.properties), **changed}),
            inputs=_struct({**_dict(request.inputs), **changed}),
        )

    def Update(self, request: Any, context: Any) -> provider_pb2.UpdateResponse:
        token = request.type or request.urn.split("::")[-2].split("$")[-1]
        self._fail_if_told(token, request.urn, context)
        return provider_pb2.UpdateResponse(
            properties=self._outputs(token, request.urn, _dict(request.news))
        )

    def Delete(self, request: Any, context: Any) -> empty_pb2.Empty:
        time.sleep(float(_faults().get("delay_seconds", 0)))
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> provider_pb2.InvokeResponse:
        args = _dict(request.args)
        result = INVOKE_RESULTS.get(request.tok, lambda values: dict(values))(args)
        return provider_pb2.InvokeResponse(**{"return": _struct(result)})

    def Cancel(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()


def main(argv: list[str]) -> None:
    name, version = argv[1], argv[2]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(StandInProvider(name, version), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        Event().wait()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main(sys.argv)
