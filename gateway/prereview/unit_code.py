"""The structure of the 28-character 不动产单元代码 (GB/T 37346), segment by segment.

Only the structure is checked here (the register decides whether the unit exists): 6-digit
county code, 3-digit cadastral zone, 3-digit subzone, 2 upper-case letters parcel feature code,
5-digit parcel number, 1 upper-case letter fixture code, 8-digit fixture unit number.
"""
from __future__ import annotations

from dataclasses import dataclass

UNIT_CODE_LENGTH = 28
_DIGITS = frozenset("0123456789")  # ASCII only: str.isdigit() would accept full-width digits
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Segment:
    name: str
    start: int  # 0-based, inclusive
    end: int  # exclusive
    name_zh: str
    letters: bool  # upper-case letters, else digits

    def describe_zh(self) -> str:
        """E.g. '第13–14位（宗地特征码）应为2位大写字母'."""
        span = f"第{self.start + 1}位" if self.end - self.start == 1 else f"第{self.start + 1}–{self.end}位"
        what = "大写字母" if self.letters else "数字"
        return f"{span}（{self.name_zh}）应为{self.end - self.start}位{what}"


SEGMENTS: tuple[Segment, ...] = (
    Segment("county", 0, 6, "县级行政区划代码", False),
    Segment("cadastral_zone", 6, 9, "地籍区代码", False),
    Segment("cadastral_subzone", 9, 12, "地籍子区代码", False),
    Segment("parcel_feature", 12, 14, "宗地（宗海）特征码", True),
    Segment("parcel_number", 14, 19, "宗地（宗海）顺序号", False),
    Segment("fixture_feature", 19, 20, "定着物特征码", True),
    Segment("fixture_unit", 20, 28, "定着物单元编号", False),
)


def malformed_segments(unit_code: str) -> tuple[Segment, ...] | None:
    """``None`` if the length is wrong; otherwise the segments whose characters are wrong."""
    if len(unit_code) != UNIT_CODE_LENGTH:
        return None
    return tuple(s for s in SEGMENTS if not _segment_ok(unit_code[s.start:s.end], s.letters))


def is_well_formed(unit_code: str) -> bool:
    return malformed_segments(unit_code) == ()


def _segment_ok(text: str, letters: bool) -> bool:
    allowed = _LETTERS if letters else _DIGITS
    return all(character in allowed for character in text)
