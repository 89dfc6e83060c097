"""The offline render: every stack's program under Pulumi's mock runtime.

``render(org)`` evaluates ``__main__.py`` (the very program ``pulumi up`` runs)
once per stack of the plan, in phase order, with that stack's config, and
records what it registers. A stack reference to an earlier phase gets that
phase's rendered outputs. No CLI, no credentials, no network, no waiting.
Values that exist only after deployment are deterministic placeholders;
secret values are masked. The Akeyless resources register through the
generated ``pulumi_akeyless`` when ``pulumi install`` has made it, else through
the classes built from the bundled provider schema (``components/akeyless_sdk.py``):
the render needs no Pulumi CLI.

The JSON written by :func:`write_render` is a contract other tools read:
``{"summary": {"akeyless_sdk", "accounts_source", "accounts_discovered",
"listed_accounts_only"}, "stacks": [{"name", "kind", "account", "resources":
[{"type", "name", "parent", "provider_account", "inputs"}]}]}``. ``render.md`` is
the review document built from that same masked record (``scripts.review_document``).
"""

from __future__ import annotations

import contextvars
import json
import runpy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from akeyless_gateway_org.components.akeyless_dynamic import EXTERNAL_ID_TYPE
from akeyless_gateway_org.components.akeyless_sdk import AkeylessSdk, SdkKind, load_sdk, selected
from akeyless_gateway_org.components.compute_kinds import offline_lookup
from akeyless_gateway_org.components.earlier_phase import READ_STACK_OUTPUTS
from akeyless_gateway_org.config.model import CapabilitySettings, OrgDeployment
from akeyless_gateway_org.config.stack_config import (
    CapabilityStackConfig,
    GatewayStackConfig,
    stack_config_entries,
)
from akeyless_gateway_org.config.stacks import StackSpec, plan_stacks
from akeyless_gateway_org.errors import RunFailure
from akeyless_gateway_org.policy.documents import policy_document
from akeyless_gateway_org.policy.rules import DEFAULT_REQUIRED_TAGS, Resource, Violation, check
from akeyless_gateway_org.project import PROGRAM, project_name
from akeyless_gateway_org.records import SECRET_MASK, ResourceStep, StackRecord
from akeyless_gateway_org.review.review_document import (
    PLACEHOLDER,
    SECRET_PLACEHOLDER_MARK,
    SummaryFacts,
    review_document,
)

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
COMPONENT_PREFIX = "akeyless-gateway:"
"""The type prefix of this project's ComponentResources."""
OPERATOR_SECRET = "<stack config.rotatedAccessKeySecrets: set by the operator>"
"""The render's stand-in for a secret only the operator sets (``orgctl secrets set``)."""
DYNAMIC_PROVIDER_INPUT = "__provider"
"""A dynamic resource's serialized provider code: not a reviewable input."""

CLOUD_ASSIGNED_OUTPUTS: dict[str, tuple[str, ...]] = {
    "akeyless:index/authMethodAwsIam:AuthMethodAwsIam": ("accessId",),
    EXTERNAL_ID_TYPE: ("external_id",),
    "aws:lb/loadBalancer:LoadBalancer": ("dnsName", "zoneId"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("latestVersion",),
    "aws:route53/record:Record": ("fqdn",),
    # The enroll stack's dead-letter queue policy names its queue by URL.
    "aws:sqs/queue:Queue": ("url",),
    # Autonamed (no name input): the scaling target and policy read them.
    "aws:autoscaling/group:Group": ("name",),
    "aws:ecs/service:Service": ("name",),
}
"""Outputs the program reads that only exist after deployment, by resource type."""


def _certificate_validation(name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """ACM's one DNS validation record per domain name (ACM User Guide, "DNS validation"):
    a CNAME whose name and value ACM chooses."""
    return {
        "domainValidationOptions": [
            {
                "domainName": inputs.get("domainName"),
                "resourceRecordName": after_deploy(name, "resourceRecordName"),
                "resourceRecordType": "CNAME",
                "resourceRecordValue": after_deploy(name, "resourceRecordValue"),
            }
        ]
    }


def _service_status(name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A LoadBalancer Service's load balancer name, once the controller has made it."""
    hostname = after_deploy(name, "status.loadBalancer.ingress[0].hostname")
    return {"status": {"loadBalancer": {"ingress": [{"hostname": hostname}]}}}


CLOUD_ASSIGNED_STRUCTURES: dict[str, Callable[[str, Mapping[str, Any]], dict[str, Any]]] = {
    "aws:acm/certificate:Certificate": _certificate_validation,
    "kubernetes:core/v1:Service": _service_status,
}
"""Structured outputs of the same kind (lists and objects holding placeholders), by type."""


def after_deploy(resource_name: str, prop: str) -> str:
    """The marked placeholder for a value only the cloud assigns."""
    return f"<{resource_name}.{prop}: known after deploy>"


def _secret_stand_in(value: str) -> str | None:
    """A secret that does not exist yet, as its placeholder marked secret; else None.

    A secret whose whole value is a placeholder (the External ID Akeyless
    generates, a key the operator sets) has nothing to hide in the render: the
    reviewer sees where it will come from, and that it will be kept secret.
    """
    return (
        value.replace(">", SECRET_PLACEHOLDER_MARK + ">") if PLACEHOLDER.fullmatch(value) else None
    )


# --- masking secrets ----------------------------------------------------------


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _mask_external_id(value: Any) -> Any:
    """An External ID condition's value: its placeholder if not generated yet, else masked."""
    if isinstance(value, list):
        return [_mask_external_id(item) for item in value]
    return (isinstance(value, str) and _secret_stand_in(value)) or SECRET_MASK


def _mask_policy(document: Any) -> Any:
    """Mask the External ID conditions of a policy document, keep the rest readable."""
    if isinstance(document, dict):
        return {
            key: _mask_external_id(value) if key == "sts:ExternalId" else _mask_policy(value)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [_mask_policy(item) for item in document]
    return document


def mask_secrets(value: Any) -> Any:
    """Replace secret values by ``[secret]``.

    A secret IAM policy (a member role's trust, secret because it embeds the
    External ID) stays readable for review with its ``sts:ExternalId`` masked.
    """
    if _is_secret(value):
        inner = value["value"]
        if isinstance(inner, str) and (stand_in := _secret_stand_in(inner)):
            return stand_in
        # JSON text only: the provider's form of a policy (a secret mapping stays masked).
        policy = policy_document(inner) if isinstance(inner, str) else None
        return json.dumps(_mask_policy(policy)) if policy else SECRET_MASK
    if isinstance(value, dict):
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def unwrap_secrets(value: Any) -> Any:
    """The value with every secret replaced by its plain content."""
    if _is_secret(value):
        return unwrap_secrets(value["value"])
    if isinstance(value, dict):
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value


# --- recording under mocks --------------------------------------------------


@dataclass
class RecordedResource:
    type: str
    name: str
    parent: str | None
    provider_account: str | None
    inputs: dict[str, Any]
    """As registered, secrets masked: what the render shows."""
    raw_inputs: dict[str, Any] = field(default_factory=dict)
    """As registered, secrets unmasked: for tests, never written out."""
    provider_ref: str = ""
    dependencies: tuple[str, ...] = ()
    """Names of the resources it waits for: its inputs' and its ``depends_on``."""
    replace_on_changes: list[str] = field(default_factory=list)
    """Wire names whose change replaces the resource (``replace_on_changes``)."""
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    """Wire names of outputs kept as secrets even if the provider does not mark them."""

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider_account": self.provider_account,
            "inputs": self.inputs,
        }


class _EngineError(grpc.RpcError):  # type: ignore[misc]  # grpc ships no type stubs
    """An error as the engine's resource monitor returns it over gRPC (``resmon.Invoke``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self.message


class _RenderMocks(pulumi.runtime.Mocks):
    """Returns inputs as outputs, plus marked placeholders for cloud-assigned values.

    The read of an earlier stack's outputs answers with what that stack rendered,
    and for a stack not rendered with the engine's error for a stack that does not
    exist (pkg/backend/backend.go ``GetStackOutputs``).
    """

    def __init__(self, earlier_outputs: Mapping[str, Mapping[str, Any]]) -> None:
        self.earlier_outputs = earlier_outputs

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        outputs.setdefault("arn", after_deploy(args.name, "arn"))
        for prop in CLOUD_ASSIGNED_OUTPUTS.get(args.typ, ()):
            outputs[prop] = after_deploy(args.name, prop)
        if structure := CLOUD_ASSIGNED_STRUCTURES.get(args.typ):
            outputs |= structure(args.name, args.inputs)
        return after_deploy(args.name, "id"), outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Earlier stacks' outputs; lookups of existing infrastructure, marked placeholders."""
        if args.token == READ_STACK_OUTPUTS:
            name = args.args["name"]
            outputs = self.earlier_outputs.get(name.split("/")[-1])
            if outputs is None:
                raise _EngineError(
                    f"invocation of {READ_STACK_OUTPUTS} returned an error: "
                    f"unknown stack {json.dumps(name)}"
                )
            return {"name": name, "outputs": dict(outputs), "secretOutputNames": []}, []
        if lookup := offline_lookup(args.token):  # a compute kind's (compute_kinds.py)
            return lookup(args.args, after_deploy), []
        return {}, []


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also recording each registration's parent and provider."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            parent = request.parent.split("::")[-1] if request.parent else None
            if parent is not None and request.parent.split("::")[2].endswith("pulumi:Stack"):
                parent = None
            inputs = rpc.deserialize_properties(request.object)
            inputs.pop(DYNAMIC_PROVIDER_INPUT, None)
            self.recorded.append(
                RecordedResource(
                    type=request.type,
                    name=request.name,
                    parent=parent,
                    provider_account=None,
                    inputs=mask_secrets(inputs),
                    raw_inputs=unwrap_secrets(inputs),
                    provider_ref=request.provider,
                    dependencies=tuple(urn.split("::")[-1] for urn in request.dependencies),
                    replace_on_changes=list(request.replaceOnChanges),
                    delete_before_replace=request.deleteBeforeReplace,
                    ignore_changes=list(request.ignoreChanges),
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                )
            )
        return response


def _provider_accounts(resources: list[RecordedResource]) -> dict[str, str]:
    """Provider name -> the one account it is pinned to (``allowedAccountIds``)."""
    accounts = {}
    for resource in resources:
        if resource.type.startswith(PROVIDER_TYPE_PREFIX):
            allowed = resource.inputs.get("allowedAccountIds")
            ids = json.loads(allowed) if isinstance(allowed, str) else allowed
            if ids and len(ids) == 1:
                accounts[resource.name] = ids[0]
    return accounts


def _tree_order(resources: list[RecordedResource]) -> list[RecordedResource]:
    """Depth-first from the roots, siblings by type then name: stable across runs."""
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in resources:
        children.setdefault(resource.parent, []).append(resource)
    ordered: list[RecordedResource] = []

    def visit(parent: str | None) -> None:
        for resource in sorted(children.get(parent, []), key=lambda r: (r.type, r.name)):
            ordered.append(resource)
            visit(resource.name)

    visit(None)
    return ordered


def config_strings(spec: StackSpec, project: str) -> dict[str, str]:
    """The stack's config as the engine hands it to a program: namespaced strings.

    An object value reaches the program as its JSON text (``Config.get_object``
    parses it), a plain or secure string as itself.
    """
    return {
        f"{project}:{entry.key}": entry.value
        if isinstance(entry.value, str)
        else json.dumps(entry.value)
        for entry in stack_config_entries(spec.config)
    }


def secret_config_keys(spec: StackSpec, project: str) -> list[str]:
    """The namespaced keys of the stack's secure config values."""
    return [f"{project}:{entry.key}" for entry in stack_config_entries(spec.config) if entry.secret]


@dataclass
class RecordedProgram:
    resources: list[RecordedResource]
    """What the program registered, in tree order."""
    outputs: dict[str, Any]
    """The stack's exports, plain (secrets unwrapped): what later phases read."""


def record_program(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str] = (),
    earlier_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    preview: bool = False,
) -> RecordedProgram:
    """Run ``program`` under Pulumi's mocks and record what it registered and exported.

    Pulumi keeps its runtime state in context variables: running in a new
    context gives each call its own root Stack resource, config and monitor.
    ``earlier_outputs`` (stack name -> outputs) answers the program's reads of
    earlier stacks; ``preview`` runs it as ``pulumi preview`` would (``is_dry_run``).
    """

    def run() -> RecordedProgram:
        mocks = _RenderMocks(earlier_outputs or {})
        monitor = _RecordingMonitor(mocks)
        pulumi.runtime.set_mocks(
            mocks, project=project, stack=stack, preview=preview, monitor=monitor
        )
        pulumi.runtime.set_all_config(dict(config), secret_keys=list(secret_keys))
        exports: dict[str, Any] = {}

        def program_and_exports() -> pulumi.Output[None]:
            program()
            root = pulumi.runtime.get_root_resource()
            stack_outputs = getattr(root, "outputs", {})
            return pulumi.Output.from_input(stack_outputs).apply(exports.update)

        pulumi.runtime.test(program_and_exports)()  # type: ignore[no-untyped-call]
        accounts = _provider_accounts(monitor.recorded)
        for resource in monitor.recorded:
            # A resource deploys through its provider; a provider is pinned to its own account.
            provider_name = resource.provider_ref.split("::")[-2] if resource.provider_ref else ""
            if resource.type.startswith(PROVIDER_TYPE_PREFIX):
                provider_name = resource.name
            resource.provider_account = accounts.get(provider_name)
        return RecordedProgram(_tree_order(monitor.recorded), exports)

    return contextvars.Context().run(run)


def _run_main() -> None:
    runpy.run_path(str(PROGRAM), run_name="__main__")


@dataclass
class StackRender:
    spec: StackSpec
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "kind": self.spec.kind,
            "account": self.spec.account_id,
            "resources": [resource.as_json() for resource in self.resources],
        }

    def record(self) -> StackRecord:
        """The stack's record for the review document and the PR comment: the desired
        state, each resource a ``create`` (components only group others: left out)."""
        config = self.spec.config
        resources = [resource.as_json() for resource in self.resources]
        steps = [
            ResourceStep("create", r["type"], r["name"], new=r["inputs"])
            for r in resources
            if not r["type"].startswith(COMPONENT_PREFIX)
        ]
        return StackRecord(
            name=self.spec.name,
            kind=self.spec.kind,
            account=self.spec.account_id,
            phase=self.spec.phase,
            status="rendered",
            changes={"create": len(steps)},
            steps=steps,
            resources=resources,
            regions=tuple(config.regions),
            compute=config.compute if isinstance(config, GatewayStackConfig) else None,
            tags=dict(config.tags),
            capabilities=capability_summary(config),
        )


def capability_summary(config: Any) -> tuple[str, ...]:
    """Each enabled capability of a member or account stack, with its non-default settings."""
    if not isinstance(config, CapabilityStackConfig):
        return ()
    summary = []
    for name in CapabilitySettings.model_fields:
        capability = getattr(config, name)
        if capability.enabled:
            settings = capability.model_dump(
                mode="json", exclude={"enabled"}, exclude_defaults=True
            )
            summary.append(f"{name} {json.dumps(settings, sort_keys=True)}" if settings else name)
    return tuple(summary)


class RenderError(RunFailure):
    """A stack's program failed under the mocks; the message names the stack."""


def with_operator_secrets(spec: StackSpec) -> StackSpec:
    """The spec with a placeholder for each secret only the operator sets on the stack.

    The org file never holds secrets (the current secret keys of rotated access
    keys are set with ``pulumi config set --secret``), so the render stands in for them.
    """
    config = spec.config
    if not isinstance(config, CapabilityStackConfig):
        return spec  # only member and account stacks rotate keys
    rotated = config.rotated_access_keys.user_names if config.rotated_access_keys.enabled else ()
    secrets = {user: OPERATOR_SECRET for user in rotated} | (
        config.rotated_access_key_secrets or {}
    )
    update = {"rotated_access_key_secrets": secrets}
    return StackSpec(
        spec.name, spec.kind, spec.phase, spec.account_id, config.model_copy(update=update)
    )


def render_stack(
    spec: StackSpec,
    project: str | None = None,
    earlier_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    preview: bool = False,
) -> StackRender:
    """Evaluate one stack's program under mocks, in a fresh Pulumi runtime context."""
    name = project or project_name()
    operated = with_operator_secrets(spec)
    try:
        recorded = record_program(
            _run_main,
            project=name,
            stack=spec.name,
            config=config_strings(operated, name),
            secret_keys=secret_config_keys(operated, name),
            earlier_outputs=earlier_outputs,
            preview=preview,
        )
    except pulumi.RunError as error:
        raise RenderError(f"stack {spec.name!r}: {error}") from None
    return StackRender(spec, recorded.resources, recorded.outputs)


def render(org: OrgDeployment, sdk: AkeylessSdk | None = None) -> list[StackRender]:
    """Every stack of the deployment, rendered in plan order, each seeing earlier outputs.

    ``sdk``: what the Akeyless resources register through; by default the
    generated ``pulumi_akeyless``, else the schema-driven classes.
    """
    project = project_name()
    rendered: list[StackRender] = []
    with selected(sdk or load_sdk(schema_fallback=True)):
        for spec in plan_stacks(org):
            earlier = {stack.spec.name: stack.outputs for stack in rendered}
            rendered.append(render_stack(spec, project, earlier))
    return rendered


@dataclass(frozen=True)
class RenderSummary:
    """How the render was made, beside its stacks."""

    akeyless_sdk: SdkKind
    """``generated`` (``pulumi_akeyless``) or ``schema`` (the bundled schema's classes)."""
    accounts_source: str
    """``discovery.source`` of the org file: ``file`` or ``organizations``."""
    accounts_discovered: bool
    """The selection was resolved by the discovery code (``orgctl accounts``)."""

    @property
    def listed_accounts_only(self) -> bool:
        """Accounts come from AWS Organizations, but only those the file lists were rendered."""
        return self.accounts_source == "organizations" and not self.accounts_discovered

    def as_json(self) -> dict[str, Any]:
        return {
            "akeyless_sdk": self.akeyless_sdk,
            "accounts_source": self.accounts_source,
            "accounts_discovered": self.accounts_discovered,
            "listed_accounts_only": self.listed_accounts_only,
        }


# --- the security invariants, offline -------------------------------------------


def policy_violations(
    stacks: Sequence[StackRender], required_tags: Sequence[str] = DEFAULT_REQUIRED_TAGS
) -> list[Violation]:
    """The policy pack's rules over every rendered resource, as the pack would see them."""
    return [
        violation
        for stack in stacks
        for resource in stack.resources
        for violation in check(
            Resource(
                type=resource.type,
                name=resource.name,
                props=resource.raw_inputs,
                account_id=resource.provider_account,
                required_tags=required_tags,
                stack=stack.spec.name,
            )
        )
    ]


# --- writing ----------------------------------------------------------------


def render_json(stacks: list[StackRender], summary: RenderSummary) -> str:
    document = {"summary": summary.as_json(), "stacks": [s.as_json() for s in stacks]}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def render_markdown(stacks: list[StackRender], facts: SummaryFacts | None = None) -> str:
    """The review document (``review.review_document``), with the policy pack's result."""
    return review_document([s.record() for s in stacks], policy_violations(stacks), facts)


def write_render(
    stacks: list[StackRender],
    summary: RenderSummary,
    out_dir: Path,
    facts: SummaryFacts | None = None,
) -> tuple[Path, Path]:
    """Write ``render.json`` and ``render.md`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "render.json", out_dir / "render.md"
    json_path.write_text(render_json(stacks, summary), encoding="utf-8")
    md_path.write_text(render_markdown(stacks, facts), encoding="utf-8")
    return json_path, md_path
