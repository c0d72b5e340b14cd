"""What the browser tests share: a real gateway seeded through the CLI, people signing in, files, screenshots."""
from __future__ import annotations

import io
import re
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support import factories
from tests.support.processes import cli

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

FUND = {"code": "12640200455762132G", "name": "石嘴山市住房公积金管理中心平罗管理部"}
OTHER_FUND = {"code": factories.OTHER_BANK_CODE, "name": "示例市住房公积金管理中心"}
PASSWORD = "browser-test-password"
# Two homes: the whole scenario uses the first, the refusal tests the second.
HOME = {"unit": factories.UNIT_CODE, "owners": [("王建国", "640221198503150018"), ("李秀梅", "640221198707220022")]}
OTHER_HOME = {"unit": "640221001004GB00019F00070201",
              "owners": [("何俊", "640221198704110039"), ("孙倩", "640221198911300046")]}
USERS = (("clerk", "clerk", FUND["code"]), ("clerk2", "clerk", OTHER_FUND["code"]), ("reviewer", "reviewer", None),
         ("supervisor", "supervisor", None), ("admin", "admin", None))


def register_csv() -> str:
    lines = ["record_type,unit_code,location,use,state,name,id_type,id_number,share"]
    for home, location in ((HOME, "平罗县城关镇鼓楼南街12号1号楼1单元101室"), (OTHER_HOME, "平罗县城关镇唐徕东路19号7号楼2单元201室")):
        lines.append(f"UNIT,{home['unit']},{location},RESIDENTIAL,TITLED,,,,")
        lines += [f"OWNER,{home['unit']},,,,{name},RESIDENT_ID,{number},1/2" for name, number in home["owners"]]
    return "\n".join(lines) + "\n"


def onboard(env: dict[str, str], pki, tmp_path: Path) -> None:
    """What an operator does for the staff web: register, the two funds with their certificates, the staff."""
    cli(env, "db", "upgrade")
    register = tmp_path / "register.csv"
    register.write_text(register_csv(), encoding="utf-8")
    first = [("register", "import", str(register))] + [
        ("institution", "add", "--code", institution["code"], "--name", institution["name"], "--kind", "housing_fund",
         "--cert", str(identity.cert_path)) for institution, identity in ((FUND, pki.bank), (OTHER_FUND, pki.other_bank))]
    then = [("user", "add", "--username", username, "--role", role,
             *(("--institution", institution) if institution else ()), "--password-stdin")
            for username, role, institution in USERS]
    # Independent commands run side by side: each one's start-up time is most of its cost.
    with ThreadPoolExecutor(max_workers=len(USERS)) as pool:
        list(pool.map(lambda args: cli(env, *args), first))
        list(pool.map(lambda args: cli(env, *args, stdin=PASSWORD + "\n"), then))
    custody = Path(env["GATEWAY_INSTITUTION_KEYS_DIR"])
    custody.mkdir(parents=True)
    for institution, identity in ((FUND, pki.bank), (OTHER_FUND, pki.other_bank)):
        (custody / f"{institution['code']}-key.pem").write_bytes(identity.key_path.read_bytes())
        (custody / f"{institution['code']}-cert.pem").write_bytes(identity.cert_path.read_bytes())


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # sticky panels are drawn where they stand at the top
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@dataclass
class Person:
    """A signed-in member of staff: their own browser context and page."""

    context: BrowserContext
    page: Page
    base_url: str

    def open(self, path: str):
        return self.page.goto(self.base_url + path)

    def csrf_token(self) -> str:
        return self.page.locator("input[name=csrf_token]").first.get_attribute("value")


def new_page(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900}, accept_downloads=True)
    return context, context.new_page()


def fill_sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)


def sign_in(browser: Browser, base_url: str, username: str, password: str = PASSWORD) -> Person:
    context, page = new_page(browser)
    fill_sign_in(page, base_url, username, password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    return Person(context, page, base_url)


def pdf(text: str) -> bytes:
    """A small, valid one-page PDF (what a scanner would produce, minus the scan)."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    document = canvas.Canvas(out, pagesize=(420, 300))
    document.setFont("Helvetica", 18)
    document.drawString(40, 240, text)
    document.rect(30, 30, 360, 180)
    document.showPage()
    document.save()
    return out.getvalue()


def png(width: int = 320, height: int = 200) -> bytes:
    """A PNG picture of an ID card's outline, drawn without any imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = []
    for y in range(height):
        border = y < 6 or y >= height - 6
        row = bytes(c for x in range(width) for c in ((40, 70, 140) if border or x < 6 or x >= width - 6
                                                      else (235, 240, 248) if y > 60 else (120, 150, 200)))
        rows.append(b"\x00" + row)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


def application_number(page: Page) -> str:
    match = re.search(r"/clerk/applications/(\d+)", page.url)
    assert match, page.url
    return match.group(1)
