"""Check digits and shapes of resident ID numbers and unified social credit codes (python-stdnum)."""
from __future__ import annotations

import enum

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
    return None


def same_identity(a: str | None, b: str | None) -> bool:
    """Whether two ID numbers or codes are the same once upper-cased and stripped."""
    return a is not None and b is not None and a.strip().upper() == b.strip().upper()


def identity_key(number: str) -> str:
    return number.strip().upper()
