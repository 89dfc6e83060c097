"""A stand-in resource provider plugin: ``python -m tests.engine.standin_provider NAME VERSION``.

The real engine launches it as ``pulumi-resource-<NAME>`` (a script in the plugin folder that
``tests/engine/plugins.py`` installs) and reads the port it listens on from its first line of
stdout (sdk/go/common/resource/plugin/plugin.go, ``newPlugin``). It replaces only the cloud: it
returns the inputs as outputs plus deterministic computed outputs (IDs, ARNs, a load
balancer's DNS name, an auth method's access ID), and fails where the real providers fail by
the rules of ``standin_rules.py``, each citing its source: ``Check`` autonames and rejects
missing required inputs, ``Diff`` reports the replacements the real provider forces (and
delete-before-replace where the bridge asks for it), ``Create`` refuses a name already taken
and ``Delete`` a resource another live one refers to. What is live is shared by every
stand-in process in the file ``STANDIN_WORLD`` names (the harness sets it per engine); the
engine's state is otherwise the only record, so ``up`` twice is a no-op and ``refresh`` reads
back what the state holds.

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
from pathlib import Path
from threading import Event
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from tests.engine.standin_rules import (
    DEFAULTS_KEY,
    MISSING_REQUIRED,
    Live,
    autoname,
    autonamed,
    delete_before_replace,
    delete_refused,
    missing_required,
    name_taken,
    referring_keys,
    replaced_properties,
)

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
    if events_kind := EVENTBRIDGE_ARN_KINDS.get(token):
        # EventBridge's resource types (Service Authorization Reference, "Amazon EventBridge":
        # rule/<name> on the default bus; connection/<name>/<id>, api-destination/<name>/<id>):
        # the program predicts the rules' ARNs for its role's trust (components/enrollment.py).
        unique = "" if events_kind == "rule" else f"/{_digest(urn, 36)}"
        return f"arn:aws:events:us-east-1:{account}:{events_kind}/{name}{unique}"
    if token == QUEUE:  # SQS names a queue without a resource type: sqs:<region>:<acct>:<name>
        return f"arn:aws:sqs:us-east-1:{account}:{name}"
    return f"arn:aws:{module}:us-east-1:{account}:{kind}/{name}"


QUEUE = "aws:sqs/queue:Queue"
EVENTBRIDGE_ARN_KINDS = {
    "aws:cloudwatch/eventRule:EventRule": "rule",
    "aws:cloudwatch/eventConnection:EventConnection": "connection",
    "aws:cloudwatch/eventApiDestination:EventApiDestination": "api-destination",
}


def _account(config: Mapping[str, Any]) -> str:
    """The account the AWS provider is pinned to (``allowedAccountIds``; a bridged provider
    may receive it JSON-encoded)."""
    accounts = config.get("allowedAccountIds") or []
    if isinstance(accounts, str):
        accounts = json.loads(accounts) if accounts.startswith("[") else [accounts]
    return str(accounts[0]) if accounts else "000000000000"


CERTIFICATE = "aws:acm/certificate:Certificate"
CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
NLB_ZONE_US_EAST_1 = "Z26RNL4JYFTOTI"


def _validation_record(certificate_name: str) -> str:
    """The first label of the CNAME ACM asks for: derived from the certificate, as ACM's is."""
    return f"_{_digest(certificate_name, 32)}"


def validation_option(certificate_name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """ACM's one DNS validation record of a domain (ACM User Guide, "DNS validation")."""
    domain = str(inputs.get("domainName", ""))
    record = _validation_record(certificate_name)
    return {
        "domainName": domain,
        "resourceRecordName": f"{record}.{domain}.",
        "resourceRecordType": "CNAME",
        "resourceRecordValue": f"{record}.standin.acm-validations.aws.",
    }


def validation_failure(inputs: Mapping[str, Any]) -> str | None:
    """Why a CertificateValidation fails, as terraform-provider-aws fails it: every validation
    record of the certificate must be among ``validationRecordFqdns``
    (internal/service/acm/certificate_validation.go: "missing %s DNS validation record: %s").
    The stand-in's certificate ARN ends in the certificate's name (``_aws_arn``)."""
    certificate_name = str(inputs.get("certificateArn", "")).rsplit("/", 1)[-1]
    expected = _validation_record(certificate_name)
    given = [str(fqdn).rstrip(".") for fqdn in inputs.get("validationRecordFqdns") or []]
    if any(fqdn.split(".", 1)[0] == expected for fqdn in given):
        return None
    return f"missing DNS validation record: {expected}.<domain>"


def computed_outputs(
    token: str, urn: str, inputs: Mapping[str, Any], config: Mapping[str, Any]
) -> dict[str, Any]:
    """The outputs a real provider computes, derived only from the URN and the inputs."""
    outputs: dict[str, Any] = {}
    package = token.split(":")[0]
    if package == "aws":
        account = _account(config)
        if "arn" not in inputs:  # an EventTarget's arn is its input: the target it calls
            outputs["arn"] = _aws_arn(token, urn, inputs, account)
        outputs.setdefault("tagsAll", inputs.get("tags") or {})
        if token == "aws:lb/loadBalancer:LoadBalancer":
            outputs["dnsName"] = f"{_name(urn)[:20]}-{_digest(urn, 8)}.elb.us-east-1.amazonaws.com"
            # Network Load Balancers' hosted zone in us-east-1 (AWS General Reference,
            # "Elastic Load Balancing endpoints and quotas"): what an alias record names.
            outputs["zoneId"] = NLB_ZONE_US_EAST_1
        if token == CERTIFICATE:
            outputs["domainValidationOptions"] = [validation_option(_name(urn), inputs)]
        if token == "aws:route53/record:Record":
            # The record's full name, without the trailing dot (pulumi-aws route53.Record fqdn).
            outputs["fqdn"] = str(inputs.get("name", "")).rstrip(".")
        if token == "aws:ec2/launchTemplate:LaunchTemplate":
            # The Auto Scaling group runs latest_version: a missing output would be unknown in
            # every preview, so the group would always show an update.
            outputs |= {"latestVersion": 1, "defaultVersion": 1}
        if token == "aws:iam/role:Role":
            outputs["uniqueId"] = "AROA" + _digest(urn, 16).upper()
        if token == QUEUE:
            # The queue's URL, also its ID (terraform-provider-aws internal/service/sqs/
            # queue.go: d.SetId(QueueUrl), url read back from the ID).
            name = inputs.get("name") or _name(urn)
            outputs["url"] = f"https://sqs.us-east-1.amazonaws.com/{account}/{name}"
    if package == "akeyless" and token.startswith("akeyless:index/authMethod"):
        outputs["accessId"] = f"p-{_digest(urn)}"
    if "name" not in inputs and package != "pulumi":
        outputs["name"] = _name(urn)
    return outputs


SECRETS_VARIABLE = "STANDIN_SECRETS"
"""A JSON file of the Secrets Manager secrets that exist (ARN -> current secret string): made
by the operator outside this program, as the enroll stack's GitHub token is (README.md,
"Auto-enrolment"); the harness's ``put_secret`` writes it."""

GET_SECRET_VERSION = "aws:secretsmanager/getSecretVersion:getSecretVersion"


def secret_version(args: Mapping[str, Any]) -> dict[str, Any]:
    """``aws.secretsmanager.get_secret_version``: GetSecretValue of the current version
    (terraform-provider-aws internal/service/secretsmanager/secret_version_data_source.go:
    ``version_stage`` defaults to AWSCURRENT; arn, secret_string, version_id, version_stages
    read back). A secret that does not exist fails the invoke, as the data source fails on
    GetSecretValue's ResourceNotFoundException ("failed reading Secrets Manager Secret Version
    (<id>)", the id ``<secret_id>|<stage>``; the bridge wraps it as "invoking <token>:",
    pulumi-terraform-bridge pkg/tfbridge/provider.go ``Invoke``)."""
    secret_id = str(args.get("secretId", ""))
    stage = str(args.get("versionStage") or "AWSCURRENT")
    path = os.environ.get(SECRETS_VARIABLE)
    secrets = (
        json.loads(Path(path).read_text(encoding="utf-8")) if path and os.path.exists(path) else {}
    )
    if secret_id not in secrets:
        raise LookupError(
            f"invoking {GET_SECRET_VERSION}: failed reading Secrets Manager Secret Version "
            f"({secret_id}|{stage}): ResourceNotFoundException: Secrets Manager can't find the "
            "specified secret."
        )
    return {
        "id": f"{secret_id}|{stage}",
        "arn": secret_id,
        "secretId": secret_id,
        "secretString": secrets[secret_id],
        "secretBinary": "",
        "versionId": _digest(f"{secret_id}|{secrets[secret_id]}", 32),
        "versionStage": stage,
        "versionStages": [stage],
    }


INVOKE_RESULTS: dict[str, Any] = {
    GET_SECRET_VERSION: secret_version,
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


WORLD_VARIABLE = "STANDIN_WORLD"
"""A JSON file of what the stand-ins created and have not deleted (id -> :class:`Live`),
shared by every provider process, as AWS and Akeyless are. Unset: ``standin-world.json``
beside the file backend's folder (``PULUMI_BACKEND_URL``, which the CLI passes on to its
plugins), so each test's deployment has a cloud of its own."""


def _world_path() -> Path | None:
    if configured := os.environ.get(WORLD_VARIABLE):
        return Path(configured)
    backend = os.environ.get("PULUMI_BACKEND_URL", "")
    if backend.startswith("file://"):
        return Path(backend.removeprefix("file://").split("?")[0]).parent / "standin-world.json"
    return None


class _World:
    """The live resources, read and written under an exclusive lock for one change."""

    def __init__(self) -> None:
        self.path = _world_path()
        self.live: dict[str, Live] = {}

    def __enter__(self) -> _World:
        if self.path is None:
            return self
        self._lock = open(f"{self.path}.lock", "a+", encoding="utf-8")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        if self.path.exists():
            document = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            self.live = {key: Live(**value) for key, value in document.items()}
        return self

    def save(self) -> None:
        if self.path is not None:
            document = {key: vars(value) for key, value in self.live.items()}
            self.path.write_text(json.dumps(document), encoding="utf-8")

    def record_update(self, token: str, news: Mapping[str, Any]) -> None:
        """Which fields the real provider's Update sends: every one set (terraform-provider-
        akeyless akeyless/resource_rotated_secret_aws.go, resourceRotatedSecretAwsUpdate:
        ``common.GetAkeylessPtr`` for each, ``api_id`` and ``api_key`` included). Names only,
        never values, in ``<world>.updates.jsonl``."""
        if self.path is None:
            return
        sent = sorted(key for key, value in news.items() if key != DEFAULTS_KEY and value)
        with open(f"{self.path}.updates.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps({"type": token, "sent": sent}) + "\n")

    def __exit__(self, *_exc: object) -> None:
        if self.path is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()


ROTATED_SECRET_TYPE = "akeyless:index/rotatedSecretAws:RotatedSecretAws"


def _scope(token: str, config: Mapping[str, Any]) -> str:
    return "akeyless" if token.startswith("akeyless:") else _account(config)


def _token(request: Any) -> str:
    return str(request.type or request.urn.split("::")[-2].split("$")[-1])


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
        """The bridge's Check: autoname ``name`` when the program gives none (keeping the one
        in the old inputs, which ``__defaults`` says was autonamed: pulumi-terraform-bridge
        pkg/tfbridge/provider.go Check -> MakeTerraformInputs), then the schema's required
        inputs (``standin_rules.required_inputs``)."""
        token = _token(request)
        news, olds = _dict(request.news), _dict(request.olds)
        if token.startswith(("aws:", "akeyless:")) and autonamed(token):
            defaults = [key for key in news.get(DEFAULTS_KEY) or [] if key != "name"]
            # The upgrade fixture's states (tests/engine/fixtures/upgrade) were written by
            # stand-ins that never autonamed: a real state always holds the name its create
            # autonamed, which Check keeps, so a resource of such a state keeps having none.
            unnamed_before = bool(olds) and "name" not in olds
            if news.get("name") in (None, "") and not unnamed_before:
                if "name" in (olds.get(DEFAULTS_KEY) or []) and olds.get("name"):
                    news["name"] = olds["name"]
                else:
                    news["name"] = autoname(token, _name(request.urn), bytes(request.randomSeed))
                defaults.append("name")
            news[DEFAULTS_KEY] = defaults
        failures = [
            provider_pb2.CheckFailure(property=name, reason=MISSING_REQUIRED.format(name=name))
            for name in missing_required(token, news)
        ]
        return provider_pb2.CheckResponse(inputs=_struct(news), failures=failures)

    def Diff(self, request: Any, context: Any) -> provider_pb2.DiffResponse:
        olds = _dict(request.old_inputs) if request.HasField("old_inputs") else _dict(request.olds)
        return self._diff(olds, _dict(request.news), _token(request))

    @staticmethod
    def _diff(
        olds: Mapping[str, Any], news: Mapping[str, Any], token: str = ""
    ) -> provider_pb2.DiffResponse:
        """Changed inputs; those the real provider forces new as replacements
        (``standin_rules.REPLACE_ON``), delete-before-replace as the bridge decides it."""
        changed = sorted(
            key
            for key in set(olds) | set(news)
            if key != DEFAULTS_KEY and olds.get(key) != news.get(key)
        )
        replaces = replaced_properties(token, olds, news) if changed else []
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME
            if changed
            else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=changed,
            replaces=replaces,
            deleteBeforeReplace=bool(replaces) and delete_before_replace(token, news),
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
        token = _token(request)
        self._fail_if_told(token, request.urn, context)
        if token == CERTIFICATE_VALIDATION and (failure := validation_failure(inputs)):
            context.abort(grpc.StatusCode.UNKNOWN, f"creating {_name(request.urn)}: {failure}")
        # A replacement is a second resource under the same URN: its ID differs by inputs.
        identity = request.urn + json.dumps(inputs, sort_keys=True)
        id_ = f"{_name(request.urn)}-{_digest(identity, 8)}"
        outputs = self._outputs(token, request.urn, inputs)
        with _World() as world:
            live = self._live(id_, request.urn, token, _dict(outputs))
            if taken := name_taken(world.live, live):
                context.abort(grpc.StatusCode.UNKNOWN, f"creating {_name(request.urn)}: {taken}")
            world.live[id_] = live
            world.save()
        return provider_pb2.CreateResponse(id=id_, properties=outputs)

    def _live(self, id_: str, urn: str, token: str, outputs: Mapping[str, Any]) -> Live:
        name = outputs.get("name") if autonamed(token) else None
        return Live(
            id=id_,
            urn=urn,
            token=token,
            scope=_scope(token, self.config),
            name=str(name) if name else None,
            # Only what other resources are found by and refer with: no secret lands here.
            properties={key: outputs[key] for key in referring_keys(token) if key in outputs},
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
        token = _token(request)
        self._fail_if_told(token, request.urn, context)
        news = _dict(request.news)
        outputs = self._outputs(token, request.urn, news)
        with _World() as world:
            if token == ROTATED_SECRET_TYPE:
                world.record_update(token, news)
            if request.id in world.live:
                world.live[request.id] = self._live(request.id, request.urn, token, _dict(outputs))
                world.save()
        return provider_pb2.UpdateResponse(properties=outputs)

    def Delete(self, request: Any, context: Any) -> empty_pb2.Empty:
        time.sleep(float(_faults().get("delay_seconds", 0)))
        with _World() as world:
            doomed = world.live.get(request.id)
            if doomed is not None:
                if refused := delete_refused(world.live, doomed):
                    context.abort(
                        grpc.StatusCode.UNKNOWN, f"deleting {_name(request.urn)}: {refused}"
                    )
                del world.live[request.id]
                world.save()
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> provider_pb2.InvokeResponse:
        args = _dict(request.args)
        try:
            result = INVOKE_RESULTS.get(request.tok, lambda values: dict(values))(args)
        except LookupError as error:  # what the real data source fails with
            context.abort(grpc.StatusCode.UNKNOWN, str(error.args[0]))
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
