"""Workbooks (openpyxl): ``detente-xlsx``, the detente workbook that holds a whole scenario
(:mod:`detente.scenario.sheets`), and ``decide-xlsx``, decide's tagged records in a sheet
(:mod:`detente.scenario.formats.decide`); ``FILE.xlsx#SHEET`` reads one sheet by name, decide records or a long
table. Every cell is read, also rows beyond the range a sheet declares (openpyxl's read-only mode trusts that declared
range unless told otherwise).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from detente.errors import ScenarioError
from detente.scenario.formats.decide import DATA_TAG, Rows, decide_records, decide_scenario, write_decide_csv
from detente.scenario.schema import Scenario

SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"


def _unreadable(e: Exception, file: str) -> ScenarioError:
    return ScenarioError(f"not a readable XLSX workbook ({type(e).__name__}: {e})", file=file, expected="an .xlsx file")


@contextmanager
def open_workbook(data: bytes, file: str) -> Iterator[Any]:
    """The workbook of ``data``, read-only, closed on leaving; a damaged file — while opening or while its sheets are
    read — is one error "not a readable XLSX workbook" naming ``file`` (a ScenarioError inside passes unchanged)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # zipfile, XML and openpyxl errors of a damaged file all mean the same to the user
        raise _unreadable(e, file) from None
    try:
        yield wb
    except ScenarioError:
        raise
    except Exception as e:
        raise _unreadable(e, file) from None
    finally:
        wb.close()


def sheet_names(data: bytes, file: str) -> list[str]:
    with open_workbook(data, file) as wb:
        return list(wb.sheetnames)


def _all_rows(ws: Any) -> Any:
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    return ws


# ---- reading --------------------------------------------------------------------------------------------------------
def read_detente_xlsx(data: bytes, file: str) -> Scenario:
    from detente.scenario.sheets import is_detente_workbook, read_workbook

    with open_workbook(data, file) as wb:
        if not is_detente_workbook(wb.sheetnames):
            raise ScenarioError(
                "not a detente workbook",
                file=file,
                value=wb.sheetnames,
                expected="sheets named issues, actors and stances (and scenario, sources)",
            )
        for ws in wb.worksheets:
            _all_rows(ws)
        return read_workbook(wb, file)


def read_decide_xlsx(data: bytes, file: str) -> Scenario:
    """The decide records of a workbook: the first sheet whose column A holds record tags (a notes sheet before it is
    skipped)."""
    sheets = []
    with open_workbook(data, file) as wb:
        for ws in wb.worksheets:
            rows = xlsx_rows(_all_rows(ws))
            if _has_records(rows):
                return decide_scenario(rows, f"{file}, sheet {ws.title!r}")
            sheets.append(ws.title)
    raise ScenarioError(
        "no sheet holds decide records",
        file=file,
        value=sheets,
        expected="a sheet with rows tagged #A, #P, #M or #D in its first column",
    )


def read_xlsx_sheet(data: bytes, file: str, sheet: str) -> Scenario:
    """One sheet of a workbook, by name: decide records, or a long ``actor,issue,position,salience`` table (its
    ``#`` rows in column A, cells joined by spaces, give scales and capabilities as in the long CSV)."""
    from detente.scenario.formats.long_csv import looks_like_long_csv, parse_long_csv

    with open_workbook(data, file) as wb:
        if sheet not in wb.sheetnames:
            raise ScenarioError(
                "no such sheet",
                file=file,
                value=sheet,
                expected=f"one of the workbook's sheets: {', '.join(wb.sheetnames)}",
            )
        rows = xlsx_rows(_all_rows(wb[sheet]))
        where = f"{file}, sheet {sheet!r}"
        if _has_records(rows):
            return decide_scenario(rows, where)
        text = _long_table_text(rows)
        if looks_like_long_csv(text):
            return parse_long_csv(text, where)
        raise ScenarioError(
            "the sheet holds neither decide records nor a long table",
            file=where,
            value=rows[0][1][:4] if rows else [],
            expected="rows tagged #A, #P, #M or #D in column A, or a header actor, issue, position, salience",
        )


def _has_records(rows: Rows) -> bool:
    return any(DATA_TAG.match(r[0]) for _, r in rows if r)


def _long_table_text(rows: Rows) -> str:
    """A sheet's rows as the long CSV: ``#`` rows joined by spaces, the others as CSV records."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for _, r in rows:
        if r and r[0].startswith("#"):
            buf.write(" ".join(c for c in r if c) + "\n")
        else:
            w.writerow(r)
    return buf.getvalue()


def xlsx_rows(ws: Any) -> Rows:
    """The non-empty rows of a sheet as text cells (integral numbers without ``.0``), with their row numbers."""
    rows = []
    for k, r in enumerate(ws.iter_rows(values_only=True)):
        cells = ["" if v is None else (repr(v) if isinstance(v, float) and not v.is_integer() else str(v)) for v in r]
        if not any(cells):
            continue
        cells = [c[:-2] if c.endswith(".0") and _is_number(c) else c for c in cells]
        rows.append((k + 1, [c.strip() for c in cells]))
    return rows


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


# ---- writing --------------------------------------------------------------------------------------------------------
def write_decide_xlsx(s: Scenario) -> bytes:
    """decide's records in one sheet named for the scenario (numbers as numbers)."""
    import openpyxl

    write_decide_csv(s)  # same checks
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = s.name[:31]
    numeric = {"#M": (2,), "#D": (3, 4, 5)}
    for r in decide_records(s):
        ws.append([float(c) if k in numeric.get(r[0], ()) else c for k, c in enumerate(r)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_detente_xlsx(s: Scenario) -> bytes:
    from detente.scenario.sheets import xlsx_bytes

    return xlsx_bytes(s)
