"""The catalogue and rules documents are generated from the code and must not drift from it."""
from pathlib import Path

from gateway.catalogue.materials import catalogue_markdown
from gateway.prereview.docs import rules_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_published_materials_catalogue_matches_the_code():
    assert (DOCS / "catalogue.md").read_text(encoding="utf-8") == catalogue_markdown()


def test_the_published_rule_list_matches_the_code():
    assert (DOCS / "rules.md").read_text(encoding="utf-8") == rules_markdown()
