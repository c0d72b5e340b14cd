"""The documentation stays true to the code.

Each test collects facts from the code itself — error codes, settings, endpoints, the state
machine, CLI commands, the output schema — and checks that the documents banks and operators read
state them. When the code changes, these tests say which document to update.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INTERFACE = DOCS / "interface"
PACKAGES = ("gateway", "signing", "bank_adapters")

CODE_KEYWORD_ARGUMENT = re.compile(r"""\bcode\s*=\s*["']([a-z0-9_.]+)["']""")
CLI_ERROR_CODE = re.compile(r"error \[([a-z0-9_]+(?:\.[a-z0-9_]+)+)\]")  # codes the CLI prints itself
CODE_CLASS_ATTRIBUTE = re.compile(r"""^[ \t]+code(?:\s*:\s*[^=\n]+)?\s*=\s*["']([a-z0-9_.]+)["']""", re.MULTILINE)
DOCUMENTED_CODE_ROW = re.compile(r"^\| `([a-z0-9_]+(?:\.[a-z0-9_]+)*)` \|", re.MULTILINE)
XS = "{http://www.w3.org/2001/XMLSchema}"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def subclasses(cls: type) -> Iterator[type]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from subclasses(subclass)


def error_classes() -> list[type]:
    """Every error class of the three families defined in our packages, bases included."""
    from bank_adapters.errors import AdapterError
    from gateway.errors import GatewayError
    from signing.errors import SigningError

    # Import every module that declares a class-level code, so that all subclasses exist
    # (migration scripts run on import, and declare no errors).
    for path in source_files():
        if "migrations" not in path.parts and CODE_CLASS_ATTRIBUTE.search(read(path)):
            importlib.import_module(module_name(path))
    found = []
    for base in (GatewayError, SigningError, AdapterError):
        for cls in (base, *subclasses(base)):
            if cls.__module__.split(".")[0] in PACKAGES and cls not in found:
                found.append(cls)
    return found


def codes_in_the_code() -> set[str]:
    """Codes of the error classes, codes passed as ``code="..."``, codes the CLI prints, and
    request validation's."""
    codes = {cls.code for cls in error_classes()}
    for path in source_files():
        codes.update(CODE_KEYWORD_ARGUMENT.findall(read(path)))
        codes.update(CLI_ERROR_CODE.findall(read(path)))
    codes.add("request.invalid")  # RequestValidationError, rendered in gateway/api/problems.py
    return codes


def test_every_error_code_the_code_can_produce_is_documented_in_errors_md():
    errors_md = read(INTERFACE / "errors.md")
    missing = sorted(code for code in codes_in_the_code() if f"`{code}`" not in errors_md)
    assert not missing, f"add these codes to docs/interface/errors.md: {missing}"


def test_every_code_errors_md_lists_still_exists_in_the_code():
    code_tables = read(INTERFACE / "errors.md").split("## 3. Every code", 1)[-1]
    documented = set(DOCUMENTED_CODE_ROW.findall(code_tables))
    stale = sorted(documented - codes_in_the_code())
    assert documented, "errors.md has no code tables"
    assert not stale, f"docs/interface/errors.md lists codes the code no longer has: {stale}"


def test_errors_md_gives_each_gateway_error_class_the_status_the_api_answers_with():
    from gateway.api.problems import STATUS_BY_KIND
    from gateway.errors import GatewayError

    errors_md = read(INTERFACE / "errors.md")
    wrong = []
    for cls in error_classes():
        if issubclass(cls, GatewayError):
            status = STATUS_BY_KIND.get(cls.kind, 422)
            if f"| `{cls.code}` | {status} |" not in errors_md:
                wrong.append(f"{cls.__name__}: `{cls.code}` should be documented with {status}")
    assert not wrong, wrong


def settings_fields() -> dict[str, object]:
    from gateway.settings import Settings

    return {name: field.get_default(call_default_factory=True) for name, field in Settings.model_fields.items()}


def test_every_setting_is_documented_in_operations_md():
    operations_md = read(DOCS / "operations.md")
    missing = [f"GATEWAY_{name.upper()}" for name in settings_fields() if f"GATEWAY_{name.upper()}" not in operations_md]
    assert not missing, f"add these settings to docs/operations.md: {missing}"


def test_the_settings_table_shows_each_settings_default():
    rows = dict(re.findall(r"^\| `GATEWAY_([A-Z0-9_]+)` \| ([^|]+) \|", read(DOCS / "operations.md"), re.MULTILINE))
    wrong = []
    for name, default in settings_fields().items():
        cell = rows.get(name.upper(), "").strip()
        if default in (None, "", []):
            expected_start = "(empty"
        else:
            expected_start = f"`{getattr(default, 'value', default)}`"
        if not cell.startswith(expected_start):
            wrong.append(f"GATEWAY_{name.upper()}: documented {cell!r}, default is {expected_start}")
    assert not wrong, wrong


def test_every_gateway_variable_the_docs_mention_is_a_setting():
    known = {f"GATEWAY_{name.upper()}" for name in settings_fields()}
    mentioned = set()
    for path in [*DOCS.glob("*.md"), *INTERFACE.glob("*.md")]:
        mentioned.update(re.findall(r"\bGATEWAY_[A-Z0-9_]+", read(path)))
    assert mentioned - known == set()


def test_every_endpoint_in_the_openapi_description_is_documented_in_api_md():
    from gateway.api.app import create_app

    api_md = read(INTERFACE / "api.md")
    paths = create_app(runtime=None).openapi()["paths"]
    endpoints = [f"{method.upper()} {path}" for path, operations in paths.items() for method in operations]
    missing = [endpoint for endpoint in endpoints if f"`{endpoint}`" not in api_md]
    assert endpoints and not missing, f"document these endpoints in docs/interface/api.md: {missing}"
    assert "`GET /openapi.json`" in api_md


def test_the_transition_table_in_api_md_is_the_state_machine():
    from gateway.applications.states import TRANSITIONS

    rows = re.findall(r"^\| (\(new\)|`[A-Z_]+`) \| `([a-z_]+)` \| `([A-Z_]+)` \|", read(INTERFACE / "api.md"), re.MULTILINE)
    documented = {(source.strip("`"), action, target) for source, action, target in rows}
    actual = {
        (source.value if source else "(new)", action.value, target.value)
        for (source, action), target in TRANSITIONS.items()
    }
    assert documented == actual


def test_every_status_is_described_in_api_md():
    from gateway.applications.states import Status

    api_md = read(INTERFACE / "api.md")
    assert [status.value for status in Status if f"| `{status.value}` |" not in api_md] == []


def cli_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    subcommands = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if prefix and not subcommands:
        yield " ".join(prefix), parser
    for action in subcommands:
        for name, subparser in action.choices.items():
            yield from cli_commands(subparser, (*prefix, name))


def test_every_cli_command_and_option_is_documented_in_operations_md():
    from gateway.cli import _parser

    operations_md = read(DOCS / "operations.md")
    missing = []
    for command, parser in cli_commands(_parser()):
        if f"gateway {command}" not in operations_md:
            missing.append(f"gateway {command}")
        for action in parser._actions:
            missing += [f"gateway {command} {option}" for option in action.option_strings
                        if option.startswith("--") and option != "--help" and option not in operations_md]
    assert not missing, f"document in docs/operations.md: {missing}"


def output_schema() -> etree._Element:
    return etree.parse(str(INTERFACE / "schemas" / "gateway-output-v1.xsd")).getroot()


def test_every_element_of_the_output_schema_is_described_in_api_md():
    api_md = read(INTERFACE / "api.md")
    names = {element.get("name") for element in output_schema().iter(f"{XS}element")}
    missing = sorted(name for name in names if not re.search(rf"`(?:[A-Za-z]+/)*{name}`", api_md))
    assert names and not missing, missing


def enumeration(schema: etree._Element, type_name: str) -> set[str]:
    simple_type = schema.find(f"{XS}simpleType[@name='{type_name}']")
    return {value.get("value") for value in simple_type.iter(f"{XS}enumeration")}


def test_the_output_schema_lists_exactly_the_statuses_of_the_state_machine():
    from gateway.applications.states import Status

    assert enumeration(output_schema(), "StatusCode") == {status.value for status in Status}


def test_the_output_schema_uses_the_namespace_the_gateway_writes():
    from gateway.applications.documents import NS

    assert output_schema().get("targetNamespace") == NS


def test_the_content_digest_example_matches_the_example_material():
    material = (INTERFACE / "examples" / "materials" / "loan-contract.txt").read_bytes()
    digest = base64.b64encode(hashlib.sha256(material).digest()).decode()
    profile = read(INTERFACE / "signature-profile.md")
    assert f"Content-Digest: sha-256=:{digest}:" in profile
    assert f"/v1/materials/{hashlib.sha256(material).hexdigest()}" in profile
    assert f"({len(material)} bytes" in profile


def test_relative_links_between_the_documents_resolve():
    broken = []
    for path in [*DOCS.glob("*.md"), *INTERFACE.glob("*.md")]:
        for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", read(path)):
            if not re.match(r"[a-z]+:", target) and not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_every_test_the_threat_model_names_exists():
    """The threat model proves each control by a test name; a renamed or deleted test must not leave a false proof."""
    references = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", read(DOCS / "security.md")))
    assert references, "security.md names no test"
    missing = sorted(
        f"{path}::{name}" for path, name in references
        if not (ROOT / path).is_file() or not re.search(rf"^\s*(?:async\s+)?def {name}\(", read(ROOT / path), re.MULTILINE)
    )
    assert not missing, missing
