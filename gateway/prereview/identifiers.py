"""Check digits and shapes of resident ID numbers and unified social credit codes (python-stdnum).

A unified social credit code (GB 32100) has two check characters: the 18th, over the whole code,
which python-stdnum checks, and the 17th, which ends the organisation code embedded in characters
9–17 (GB 11714), which it does not; :func:`organisation_code_check_character` adds that one.
"""
from __future__ import annotations

import enum
import re

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError


class IdProblem(enum.StrEnum):
    MISSING = "MISSING"
    MALFORMED = "MALFORMED"  # length, characters, or not in its compact form
    CHECK_DIGIT = "CHECK_DIGIT"
    BIRTH_DATE = "BIRTH_DATE"  # resident ID only: no such date
    REGION = "REGION"  # resident ID only: address code unknown to stdnum's table


def resident_id_problem(number: str) -> IdProblem | None:
    """What is wrong with a 居民身份证号码 (GB 11643), or ``None``."""
    if not number.strip():
        return IdProblem.MISSING
    # stdnum compacts before validating; the register stores the compact form, so insist on it
    # (a lower-case final 'x' is tolerated: matching upper-cases it).
    if ric.compact(number) != number.upper():
        return IdProblem.MALFORMED
    try:
        ric.validate(number)
    except InvalidChecksum:
        return IdProblem.CHECK_DIGIT
    except InvalidComponent:
        return _component_problem(number)
    except ValidationError:
        return IdProblem.MALFORMED
    return None


def _component_problem(number: str) -> IdProblem:
    # stdnum raises the same exception for an impossible birth date and an unknown place code;
    # only the first is certainly wrong (its region table can lag behind re-drawn counties).
    try:
        ric.get_birth_date(number)
    except InvalidComponent:
        return IdProblem.BIRTH_DATE
    return IdProblem.REGION


def credit_code_problem(code: str) -> IdProblem | None:
    """What is wrong with a 统一社会信用代码 (GB 32100), or ``None``."""
    if not code.strip():
        return IdProblem.MISSING
    if uscc.compact(code) != code:
        return IdProblem.MALFORMED
    try:
        uscc.validate(code)
    except InvalidChecksum:
        return IdProblem.CHECK_DIGIT
    except ValidationError:
        return IdProblem.MALFORMED
    if code[16] != organisation_code_check_character(code[8:16]):
        return IdProblem.CHECK_DIGIT
    return None


def is_valid_credit_code(code: str) -> bool:
    """Whether ``code`` (separators allowed, as python-stdnum allows them) passes both checks."""
    return uscc.is_valid(code) and credit_code_problem(uscc.compact(code)) is None


# GB 11714-1997: eight characters (digits, capital letters worth 10–35), then a check character.
_ORGANISATION_CODE_BODY = re.compile(r"[0-9A-Z]{8}")
_ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code_check_character(body: str) -> str:
    """The check character of an organisation code's first eight characters: 11 − (Σ value × weight
    mod 11), written ``X`` for 10 and ``0`` for 11. ValueError if ``body`` is not eight digits or capitals."""
    if not _ORGANISATION_CODE_BODY.fullmatch(body):
        raise ValueError("an organisation code body is eight digits or capital letters")
    remainder = 11 - sum(int(c, 36) * w for c, w in zip(body, _ORGANISATION_CODE_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def same_identity(a: str | None, b: str | None) -> bool:
    """Whether two ID numbers or codes are the same once upper-cased and stripped."""
    return a is not None and b is not None and a.strip().upper() == b.strip().upper()


def identity_key(number: str) -> str:
    return number.strip().upper()
