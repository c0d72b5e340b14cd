"""The compiled (libxml2) fast path of schema validation gives exactly the reference validator's answers.

libxml2 only ever vouches for a valid document; anything it refuses, and anything on which it may
disagree with xmlschema (newer format characters, comments inside values, xsi attributes), is
judged by xmlschema, which also words the violations.
"""
import copy
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from lxml import etree

from bank_adapters import SchemaInvalid, xml_v1_schema
from bank_adapters.xml_v1_compiled import needs_reference_check

XSI = "http://www.w3.org/2001/XMLSchema-instance"

# Values put into every leaf: ones libxml2 and xmlschema judge alike, and ones where they differ.
VALUES = (
    "王\u2066建国",  # a bidi isolate: a format character (Cf) since Unicode 6.3, unknown to libxml2's tables
    "王\u061c建国",  # ARABIC LETTER MARK, Cf since Unicode 6.3
    "王\u180e建国",  # MONGOLIAN VOWEL SEPARATOR, a space to libxml2, Cf to Python
    "王\u200b建国",  # ZERO WIDTH SPACE
    "\u3000王建国",  # an ideographic space first
    "王\ue000建国",  # private use
    "王\U000e0001",  # LANGUAGE TAG
    "𠀀建国",  # a rare character outside the basic plane (valid in a name)
    "李·四",
    "2026-02-29",
    "2026-05-09T10:30:00+14:01",
    "0.00",
    " 1 ",
)


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [element for element in root.iter(tag=etree.Element)
            if len(element) == 0 and not element.tag.startswith("{http://www.w3.org/2000/09/xmldsig#}")]


def _mutations(base: etree._Element) -> Iterator[etree._Element]:
    for index in range(len(_leaves(base))):
        for value in VALUES[index % 4::4]:  # every value, spread over the leaves
            root = copy.deepcopy(base)
            _leaves(root)[index].text = value
            yield root
        root = copy.deepcopy(base)
        leaf = _leaves(root)[index]
        leaf.insert(0, etree.Comment("split"))
        leaf[0].tail, leaf.text = leaf.text, None  # the same text, after a comment
        yield root
        root = copy.deepcopy(base)
        _leaves(root)[index].append(etree.ProcessingInstruction("pi", "x"))
        yield root
    for attribute in (f"{{{XSI}}}schemaLocation", f"{{{XSI}}}nil", "lang"):
        root = copy.deepcopy(base)
        root.set(attribute, "true")
        yield root
    root = copy.deepcopy(base)
    root.insert(1, etree.Comment("a comment between elements"))
    yield root


def _answer(check, root: etree._Element):
    try:
        check(root)
    except SchemaInvalid as refused:
        return refused.violations
    return None


def test_a_valid_request_is_accepted_without_running_the_reference_validator(adapter, request_root, monkeypatch):
    def reference(*args, **kwargs):
        raise AssertionError("the reference validator ran on a document libxml2 vouches for")

    monkeypatch.setattr(xml_v1_schema, "_schema_violations", reference)

    assert adapter.validate(request_root) is None


@pytest.mark.parametrize("base", ["full_root", "template_root"])
def test_every_mutated_document_libxml2_accepts_is_valid_for_the_reference_validator_too(base, request):
    documents = list(_mutations(request.getfixturevalue(base)))
    accepted = [root for root in documents if xml_v1_schema.fast_accepts(root)]

    # Any other document is judged by the reference alone, so this is all that could differ.
    refused_by_reference = [root for root in accepted if xml_v1_schema.reference_violations(root)]
    assert refused_by_reference == []
    assert 0 < len(accepted) < len(documents)


def test_a_document_libxml2_refuses_is_refused_with_the_reference_validators_violations(full_root):
    _leaves(full_root)[0].text = "not a request id!"

    with pytest.raises(SchemaInvalid) as refused:
        xml_v1_schema.check(full_root)

    assert list(refused.value.violations) == xml_v1_schema.reference_violations(full_root)


@pytest.mark.parametrize("character", ["\u2066", "\u2069", "\u061c", "\u180e", "\u2064"])
def test_a_name_with_an_invisible_format_character_is_refused(request_root, refusal, at, character):
    at(request_root, "m:Mortgagors/m:Party[1]/m:Name").text = f"王{character}建国"

    assert [(v.path, v.reason) for v in refusal(request_root).violations] == [
        ("/MortgageApplication/Mortgagors/Party[1]/Name", "does not match the pattern"),
    ]


def test_a_document_of_plain_chinese_text_needs_no_reference_check(full_root):
    assert needs_reference_check(full_root) is False


def test_comments_between_elements_need_no_reference_check(full_root):
    full_root.insert(0, etree.Comment("抵押权登记申请"))
    full_root[-1].append(etree.Comment("materials follow"))

    assert needs_reference_check(full_root) is False


@pytest.mark.parametrize("change", [
    lambda root: root[0].set(f"{{{XSI}}}schemaLocation", "urn:x x.xsd"),
    lambda root: root[0].append(etree.Comment("inside a value")),
    lambda root: setattr(root[0], "text", "A\u2066B"),
    lambda root: setattr(root[0], "tail", "\u00a0"),
    lambda root: root[0].set("note", "\u2066"),
])
def test_anything_the_two_validators_may_disagree_on_needs_the_reference_check(full_root, change):
    change(full_root)

    assert needs_reference_check(full_root) is True


def test_validation_gives_the_same_answers_from_several_threads(full_root):
    invalid = copy.deepcopy(full_root)
    _leaves(invalid)[0].text = "not a request id!"
    answers: list[tuple[bool, bool]] = []

    def validate_repeatedly() -> None:
        for _ in range(10):
            answers.append((_answer(xml_v1_schema.check, full_root) is None,
                            _answer(xml_v1_schema.check, invalid) is None))

    threads = [threading.Thread(target=validate_repeatedly) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(answers) == {(True, False)} and len(answers) == 40


# A fresh process whose first validations arrive together: each of 8 threads compiles its own copy.
_FIRST_VALIDATIONS_TOGETHER = """
import threading
from lxml import etree
from bank_adapters.xml_v1_compiled import CompiledSchema
from bank_adapters.xml_v1_schema import schema_text

schema = CompiledSchema(schema_text())
root = etree.fromstring(b"<NotARequest/>")
barrier, errors = threading.Barrier(8), []

def validate():
    barrier.wait()
    try:
        assert schema.is_valid(root) is False
    except BaseException as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=validate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(errors), errors[:1])
"""


def test_the_first_validations_of_a_fresh_process_may_arrive_together():
    # Without the compile lock, libxml2 built its type tables twice at once: one fresh process in
    # about six crashed (double free) or failed every compilation after the first.
    for _ in range(16):
        run = subprocess.run([sys.executable, "-c", _FIRST_VALIDATIONS_TOGETHER], capture_output=True, text=True,
                             timeout=60)
        assert run.returncode == 0, run.stderr[-500:]
        assert run.stdout.strip() == "0 []", run.stdout
