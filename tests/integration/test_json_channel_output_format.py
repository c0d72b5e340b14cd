"""The institution's output format (xml | json) through the admin API and `gateway institution
update --output-format`, and what it selects (gateway.outputs.institution_output_format)."""
from __future__ import annotations

import json

from sqlalchemy import select

from gateway.outputs import institution_output_format, sign_output
from gateway.persistence.db import transaction
from gateway.persistence.models import AdminAction, Institution
from tests.support import factories
from tests.support import scenarios as s
from tests.support.jws_requests import parts


def stored_format(runtime, code=factories.BANK_CODE) -> str:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(Institution.output_format).where(Institution.code == code))


def test_the_admin_api_sets_the_output_format(client, admin, runtime):
    path = f"/v1/admin/institutions/{factories.BANK_CODE}"
    assert client.get(path, headers=admin).json()["output_format"] == "xml"
    response = client.patch(path, json={"output_format": "json"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["output_format"] == "json" and stored_format(runtime) == "json"
    with transaction(runtime.sessions) as session:
        action = session.scalars(select(AdminAction).order_by(AdminAction.id.desc())).first()
        assert action.action == "institution.update"
        assert action.details == {"before": {"output_format": "xml"}, "after": {"output_format": "json"}}
    refused = client.patch(path, json={"output_format": "yaml"}, headers=admin)
    assert refused.status_code == 422 and stored_format(runtime) == "json"


def test_the_cli_sets_the_output_format_and_signs_accordingly(runtime, monkeypatch, capsys):
    assert s.run_cli(monkeypatch, runtime, "institution", "update", "--code", factories.BANK_CODE,
                     "--output-format", "json") == 0
    assert stored_format(runtime) == "json"
    assert s.run_cli(monkeypatch, runtime, "institution", "show", "--code", factories.BANK_CODE) == 0
    assert "output format: json" in capsys.readouterr().out
    with transaction(runtime.sessions) as session:
        bank = session.scalar(select(Institution).where(Institution.code == factories.BANK_CODE))
        other = session.scalar(select(Institution).where(Institution.code == factories.OTHER_BANK_CODE))
        assert (institution_output_format(bank), institution_output_format(other)) == ("json", "xml")
    from tests.unit.test_jws import receipt_element

    signed, media_type = sign_output(runtime, receipt_element(), fmt=institution_output_format(bank))
    assert media_type == "application/jose" and parts(signed)[0]["kid"] == runtime.signer.key_id
    assert json.loads(parts(signed)[1])["document"] == "Receipt"
    assert s.run_cli(monkeypatch, runtime, "institution", "update", "--code", factories.BANK_CODE,
                     "--output-format", "xml") == 0
    assert stored_format(runtime) == "xml"
