"""Small pieces of the staff web: redirects after sign-in, durations, charts, the custody directory."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gateway.errors import ConfigurationError
from gateway.institutions.custody import custody_paths, install_custody_key, load_custody_key
from gateway.settings import Settings
from gateway.web.charts import bar_chart
from gateway.web.labels import days_left, duration
from gateway.web.login import safe_next
from signing.trust import TrustStore, load_pem_certificates
from signing.xmldsig import verify_enveloped
from tests.support import factories


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "evil", ""])
def test_only_a_path_on_this_site_may_follow_sign_in(target):
    assert safe_next(target) is None


def test_a_path_on_this_site_follows_sign_in():
    assert safe_next("/review/queue") == "/review/queue"


def test_durations_and_days_left_read_as_a_person_says_them():
    assert [duration(s) for s in (42, 1500, 7200, 5 * 86400)] == ["42 秒", "25 分钟", "2.0 小时", "5.0 天"]
    assert [days_left(n) for n in (3, 0, -2)] == ["剩余 3 个工作日", "今日到期", "已超期 2 个工作日"]


def test_bars_are_as_long_as_their_values_relative_to_the_largest():
    chart = bar_chart("t", [("a", [10.0], ["10"]), ("b", [5.0], ["5"])])
    first, second = (row.rects[0].width for row in chart.rows)
    assert first == 2 * second


def test_the_custody_directory_refuses_anything_but_an_institution_code(tmp_path):
    with pytest.raises(ConfigurationError):
        custody_paths(Settings(data_dir=tmp_path), "../../etc/passwd")


def test_a_missing_custody_key_says_what_to_install(tmp_path):
    with pytest.raises(ConfigurationError, match="12640200455762132G-key.pem"):
        load_custody_key(Settings(data_dir=tmp_path), "12640200455762132G")


def test_a_request_sealed_with_the_custody_key_verifies_with_the_institutions_certificate(tmp_path, pki):
    settings = Settings(data_dir=tmp_path, institution_keys_dir=tmp_path / "custody")
    install_custody_key(settings, factories.BANK_CODE, key_pem=pki.bank.key_path.read_bytes(),
                        cert_pem=pki.bank.cert_path.read_bytes())
    assert (tmp_path / "custody" / f"{factories.BANK_CODE}-key.pem").stat().st_mode & 0o077 == 0
    signed = load_custody_key(settings, factories.BANK_CODE).seal(factories.unsigned_xml(factories.application()))
    trust = TrustStore(anchors=tuple(load_pem_certificates(pki.ca_path.read_bytes())))
    verified = verify_enveloped(signed, trust=trust, at=datetime.now(timezone.utc), max_bytes=1_048_576)
    assert verified.certificate == pki.bank.certificate
