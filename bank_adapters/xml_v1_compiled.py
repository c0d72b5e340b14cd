"""The fast path of v1 schema validation: libxml2's compiled XML Schema, trusted only to say "valid".

xmlschema (pure Python, `xml_v1_schema`) is the reference validator: it decides every refusal and
words every violation. libxml2 checks the same XSD some twenty times faster, but it is a different
implementation and disagrees with xmlschema in known places:

- its Unicode tables are older: U+2066–U+2069 (the bidi isolates), U+061C and other format
  characters are not ``\\p{Cf}`` to it, so it would let them into names that must not hold them;
- a comment or processing instruction may split a simple value for libxml2; xmlschema refuses it;
- xmlschema checks the values of ``xsi:*`` attributes, libxml2 ignores the attributes.

So `surely_valid` says True only when libxml2 finds the document valid AND the document has none
of these: no comment or processing instruction inside an element without element children, no
``xsi:*`` attribute, and no non-ASCII character of a category where the two may disagree (controls,
format characters, separators, private-use and unassigned code points). Otherwise the caller asks
xmlschema, whose answer stands. The outcome is therefore always xmlschema's; it is only reached
faster for the common valid document. A test compares both paths on many mutated documents.
"""
from __future__ import annotations

import queue
import threading
import unicodedata

from lxml import etree

_XSI_NAMESPACE = b"http://www.w3.org/2001/XMLSchema-instance"
_ASCII = bytes(range(128))
# Categories on which libxml2's tables and Python's (used by xmlschema) may differ for our patterns
# (\p{Z}, \p{Zl}, \p{Zp}, \p{Cc}, \p{Cf}), plus those whose members change between Unicode versions.
_UNCERTAIN_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn", "Cs"})
_SCHEMA_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
# libxml2 compiling two schemas at once in one process is not safe: the first compilation builds its
# built-in type tables, and two threads doing that together corrupted them (every later compilation
# failed with "the given type is not a built-in type") or crashed the process (double free). Seen
# when two submissions arrived together at a fresh API process. Compiling is rare (one copy per
# concurrent validation, kept); validating with the compiled copies runs side by side.
_COMPILING = threading.Lock()


class CompiledSchema:
    """One XSD compiled by libxml2. An lxml validator keeps an error log per object, so no two
    threads use the same one: each validation borrows an idle copy, compiling one only when all
    are busy (so there are as many copies as validations ever ran at once, about 0.3 MB each)."""

    def __init__(self, schema_text: str) -> None:
        self._text = schema_text.encode("utf-8")
        self._idle: queue.SimpleQueue[etree.XMLSchema] = queue.SimpleQueue()

    def is_valid(self, root: etree._Element) -> bool:
        """libxml2's verdict on `root` alone. Location hints (xsi:schemaLocation) are never followed."""
        try:
            schema = self._idle.get_nowait()
        except queue.Empty:
            with _COMPILING:
                schema = etree.XMLSchema(etree.fromstring(self._text, etree.XMLParser(**_SCHEMA_PARSER_OPTIONS)))
        try:
            return bool(schema.validate(root))
        finally:
            self._idle.put(schema)

    def surely_valid(self, root: etree._Element) -> bool:
        """Whether the reference validator would accept `root` too: libxml2 says valid, and
        nothing in the document lies where the two validators can disagree."""
        return not needs_reference_check(root) and self.is_valid(root)


def needs_reference_check(root: etree._Element) -> bool:
    """Whether `root` holds anything on which libxml2 and xmlschema may disagree (see the module doc)."""
    if any(_inside_value(node) for node in root.iter(etree.Comment, etree.ProcessingInstruction)):
        return True
    # The serialization holds every text, tail, attribute value and namespace declaration, and
    # lxml writes each non-ASCII character as itself in UTF-8, never as a character reference.
    data = etree.tostring(root, encoding="utf-8")
    if _XSI_NAMESPACE in data:  # an xsi:* attribute cannot be written without declaring it
        return True
    non_ascii = data.translate(None, _ASCII).decode("utf-8")
    return any(unicodedata.category(character) in _UNCERTAIN_CATEGORIES for character in set(non_ascii))


def _inside_value(node: etree._Element) -> bool:
    """A comment or instruction whose parent has no element children: it sits inside a simple value."""
    parent = node.getparent()
    return parent is not None and not any(isinstance(child.tag, str) for child in parent)
