"""Bank file formats (代发文件) and the return file (回盘文件). Amounts are integer fen throughout.

Delimited format (``delimited``, UTF-8, ``|``-separated, one record per line, ``\\n`` endings)::

    H|SNPAY1|<roll number>|<bank>|<YYYYMM>|<count>|<total fen>
    D|<seq>|<line ref>|<account number>|<holder name>|<amount fen>|<programme>|<period YYYYMM>
    …
    T|<count>|<total fen>|<SHA-256 of the D records, each with its \\n>

Fixed-width format (``fixed``, GB18030, the kind agency banks take for 代发; widths in bytes,
text left-aligned and space-padded, numbers right-aligned and zero-padded, ``\\r\\n`` endings)::

    header  "H" roll number(16) bank(8) month YYYYMM(6) count(8) total fen(15) created YYYYMMDD(8)
    detail  "D" seq(8) line ref(16) account(32) holder name(40) amount fen(15) programme(24) period(6)
    trailer "T" count(8) total fen(15) CRC-32 of the detail records' bytes, 8 upper-case hex

Return file (both formats answer with it; UTF-8, ``|``-separated)::

    H|SNRET1|<bank file name>
    R|<line ref>|S or F|<reason code>|<reason text>
    T|<count>|<paid count>|<paid fen>|<failed count>|<failed fen>
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.payments.errors import ErrorCode, ReturnFileInvalid

#: Failure reasons a bank may return, in plain Chinese.
FAILURE_REASONS = {
    "E01": gettext_lazy("账户已销户"),
    "E02": gettext_lazy("户名与账号不符"),
    "E03": gettext_lazy("账户冻结或止付"),
    "E04": gettext_lazy("账号不存在"),
    "E99": gettext_lazy("其他原因"),
}


@dataclass(frozen=True)
class Detail:
    ref: str
    account: str
    name: str
    amount_fen: int
    programme: str
    period: dt.date


def _field(value: str | int, width: int, kind: str) -> bytes:
    if kind == "n":
        text = str(int(value)).rjust(width, "0")
        if len(text) > width:
            raise ValueError(f"number {value} does not fit {width} digits")
        return text.encode("ascii")
    raw = str(value).encode("gb18030")
    if len(raw) > width:  # cut on a character boundary, never inside a two-byte character
        text = str(value)
        while len(text.encode("gb18030")) > width:
            text = text[:-1]
        raw = text.encode("gb18030")
    return raw + b" " * (width - len(raw))


def render_delimited(*, roll_number: str, bank: str, month: dt.date, details: list[Detail]) -> bytes:
    total = sum(d.amount_fen for d in details)
    records = [
        f"D|{i}|{d.ref}|{d.account}|{d.name.replace('|', ' ')}|{d.amount_fen}|{d.programme}|{d.period:%Y%m}\n"
        for i, d in enumerate(details, 1)
    ]
    digest = hashlib.sha256("".join(records).encode("utf-8")).hexdigest()
    head = f"H|SNPAY1|{roll_number}|{bank}|{month:%Y%m}|{len(details)}|{total}\n"
    return (head + "".join(records) + f"T|{len(details)}|{total}|{digest}\n").encode("utf-8")


def _text(value: str, width: int) -> str:
    """``value`` cut to ``width`` GB18030 bytes on a character boundary and space-padded to it."""
    size = len(value.encode("gb18030"))
    while size > width:
        value = value[:-1]
        size = len(value.encode("gb18030"))
    return value + " " * (width - size)


def render_fixed(*, roll_number: str, bank: str, month: dt.date, details: list[Detail], created: dt.date) -> bytes:
    total = sum(d.amount_fen for d in details)
    for d in details:
        if d.amount_fen >= 10**15 or len(d.ref) > 16 or len(d.account) > 32:
            raise ValueError(f"detail {d.ref} does not fit the fixed-width layout")
    # One string per record, encoded once: ASCII fields by width, the name by its GB18030 bytes.
    text = "".join(
        f"D{i:08d}{d.ref:<16}{d.account:<32}{_text(d.name, 40)}{d.amount_fen:015d}{d.programme[:24]:<24}"
        f"{d.period:%Y%m}\r\n"
        for i, d in enumerate(details, 1)
    )
    body = text.encode("gb18030")
    head = (b"H" + _field(roll_number, 16, "a") + _field(bank, 8, "a") + _field(f"{month:%Y%m}", 6, "a")
            + _field(len(details), 8, "n") + _field(total, 15, "n") + _field(f"{created:%Y%m%d}", 8, "a") + b"\r\n")
    crc = f"{zlib.crc32(body) & 0xFFFFFFFF:08X}".encode("ascii")
    tail = b"T" + _field(len(details), 8, "n") + _field(total, 15, "n") + crc + b"\r\n"
    return head + body + tail


def parse_fixed(content: bytes) -> tuple[list[dict], int, int]:
    """(details, count, total) of a fixed-width file, with its counts, total and CRC checked."""
    lines = content.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) < 2 or not lines[0].startswith(b"H") or not lines[-1].startswith(b"T"):
        raise ValueError("not a fixed-width bank file")
    details = []
    for raw in lines[1:-1]:
        details.append({
            "seq": int(raw[1:9]), "ref": raw[9:25].decode("ascii").rstrip(" "),
            "account": raw[25:57].decode("ascii").rstrip(" "), "name": raw[57:97].decode("gb18030").rstrip(" "),
            "amount": int(raw[97:112]), "programme": raw[112:136].decode("ascii").rstrip(" "),
            "period": raw[136:142].decode("ascii"),
        })
    tail = lines[-1]
    count, total, crc = int(tail[1:9]), int(tail[9:24]), tail[24:32].decode("ascii")
    body_len = len(content) - len(lines[0]) - 2 - len(tail) - 2
    body = content[len(lines[0]) + 2: len(lines[0]) + 2 + body_len]
    if count != len(details) or total != sum(d["amount"] for d in details):
        raise ValueError("trailer count or total does not match the details")
    if crc != f"{zlib.crc32(body) & 0xFFFFFFFF:08X}":
        raise ValueError("checksum does not match")
    return details, count, total


def parse_delimited(content: bytes) -> tuple[list[dict], int, int]:
    """(details, count, total) of a delimited file, with its counts, total and SHA-256 checked."""
    lines = content.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or not lines[0].startswith("H|SNPAY1|") or not lines[-1].startswith("T|"):
        raise ValueError("not a delimited bank file")
    details = []
    for line in lines[1:-1]:
        _d, seq, ref, account, name, amount, programme, period = line.split("|")
        details.append({"seq": int(seq), "ref": ref, "account": account, "name": name, "amount": int(amount),
                        "programme": programme, "period": period})
    _t, count, total, digest = lines[-1].split("|")
    if int(count) != len(details) or int(total) != sum(d["amount"] for d in details):
        raise ValueError("trailer count or total does not match the details")
    if digest != hashlib.sha256("".join(x + "\n" for x in lines[1:-1]).encode("utf-8")).hexdigest():
        raise ValueError("checksum does not match")
    return details, int(count), int(total)


def render_return(*, bank_file_name: str, results: list[tuple[str, bool, str, str]], amounts: dict[str, int]) -> bytes:
    """A return file as a bank would send it: ``results`` are (line ref, paid, reason code, text)."""
    rows = [f"R|{ref}|{'S' if ok else 'F'}|{code}|{text}\n" for ref, ok, code, text in results]
    paid = [ref for ref, ok, _c, _t in results if ok]
    failed = [ref for ref, ok, _c, _t in results if not ok]
    tail = (f"T|{len(results)}|{len(paid)}|{sum(amounts[r] for r in paid)}|{len(failed)}|"
            f"{sum(amounts[r] for r in failed)}\n")
    return (f"H|SNRET1|{bank_file_name}\n" + "".join(rows) + tail).encode("utf-8")


@dataclass(frozen=True)
class ReturnRow:
    ref: str
    paid: bool
    reason_code: str
    reason: str


@dataclass(frozen=True)
class ParsedReturn:
    bank_file_name: str
    rows: list[ReturnRow]
    paid_count: int
    paid_fen: int
    failed_count: int
    failed_fen: int


def _bad(message: str, **details) -> ReturnFileInvalid:
    return ReturnFileInvalid(message, code=ErrorCode.RETURN_FILE_INVALID, **details)


def parse_return(content: bytes) -> ParsedReturn:
    """Parse a return file; a malformed one is refused whole, with the line that is wrong."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(_("回盘文件不是 UTF-8 编码")) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or not lines[0].startswith("H|SNRET1|") or not lines[-1].startswith("T|"):
        raise _bad(_("回盘文件缺少首行(H|SNRET1)或尾行(T)"))
    rows: list[ReturnRow] = []
    for no, line in enumerate(lines[1:-1], 2):
        parts = line.split("|")
        if len(parts) != 5 or parts[0] != "R" or parts[2] not in ("S", "F"):
            raise _bad(_("回盘文件第 %(n)d 行格式有误") % {"n": no}, line=no)
        if parts[2] == "F" and not parts[3]:
            raise _bad(_("回盘文件第 %(n)d 行失败但没有原因代码") % {"n": no}, line=no)
        rows.append(ReturnRow(parts[1], parts[2] == "S", parts[3], parts[4]))
    try:
        _t, count, paid_count, paid_fen, failed_count, failed_fen = lines[-1].split("|")
        numbers = [int(count), int(paid_count), int(paid_fen), int(failed_count), int(failed_fen)]
    except ValueError:
        raise _bad(_("回盘文件尾行格式有误")) from None
    if numbers[0] != len(rows) or numbers[1] != sum(r.paid for r in rows) or numbers[3] != sum(not r.paid for r in rows):
        raise _bad(_("回盘文件尾行笔数与明细不符"))
    return ParsedReturn(lines[0].split("|", 2)[2], rows, numbers[1], numbers[2], numbers[3], numbers[4])
