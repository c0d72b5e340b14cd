"""Certificate numbers, retry backoff and queue cursors (pure)."""
from datetime import date, timedelta

import pytest

from gateway.delivery.service import backoff
from gateway.errors import InvalidRequest
from gateway.register.numbers import certificate_number
from gateway.review.service import decode_cursor, encode_cursor
from gateway.settings import Settings


def test_certificate_numbers_follow_the_official_pattern():
    assert certificate_number(Settings(), 2026, 1) == "宁(2026)平罗县不动产证明第0000001号"


def test_the_prefix_of_certificate_numbers_is_configurable():
    settings = Settings(certificate_province="甘", certificate_county="永登县")
    assert certificate_number(settings, 2027, 42) == "甘(2027)永登县不动产证明第0000042号"


def test_retry_delays_double_and_stop_at_the_cap():
    settings = Settings(callback_backoff_base_seconds=30, callback_backoff_cap_seconds=100)
    delays = [backoff(settings, n) for n in range(1, 5)]
    assert delays == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=100), timedelta(seconds=100)]


def test_a_queue_cursor_round_trips():
    assert decode_cursor(encode_cursor(date(2026, 12, 3), 17)) == (date(2026, 12, 3), 17)


def test_a_forged_queue_cursor_is_refused_with_a_code():
    with pytest.raises(InvalidRequest) as refused:
        decode_cursor("not-a-cursor")
    assert refused.value.code == "request.bad_cursor"
