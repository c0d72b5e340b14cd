"""The reviewer API hands out an institution's uploaded material as a download that no browser will
render or sniff (acceptance testing found it served inline with the uploader's media type)."""
from __future__ import annotations

from tests.integration.helpers import submit_new
from tests.support import factories


def test_the_review_api_serves_a_material_as_a_sandboxed_download(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)

    answer = client.get(f"/v1/review/applications/{number}/materials/0", headers=reviewer)

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"] == "sandbox"
    assert answer.content in factories.MATERIALS.values()


def test_the_review_api_keeps_the_materials_own_media_type_in_the_application_view(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)

    view = client.get(f"/v1/review/applications/{number}", headers=reviewer).json()

    assert {m["media_type"] for m in view["materials"]} == {"application/pdf"}


def test_a_material_position_that_does_not_exist_is_a_404(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)

    answer = client.get(f"/v1/review/applications/{number}/materials/99", headers=reviewer)

    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
