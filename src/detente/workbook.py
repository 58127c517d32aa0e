"""Tables as an Excel workbook whose bytes depend only on the tables (openpyxl).

A workbook records when it was saved, and its zip entries carry the time: :func:`workbook_bytes` fixes both, so the
same tables give the same bytes (a scenario saved twice, or a command's ``--out r.xlsx`` run twice, compare equal).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def cell_value(v: Any) -> Any:
    """A value openpyxl can store: numbers, text, booleans or empty (NaN and missing are empty cells); lists and
    mappings as JSON text."""
    import numpy as np
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, list | tuple | dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def workbook_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """An Excel workbook with one sheet per table (header row, then one row per record); same tables, same bytes."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, df in frames.items():
        ws = wb.create_sheet(title=_SHEET_BAD.sub("-", str(name))[:31] or "sheet")
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False, name=None):
            ws.append([cell_value(v) for v in row])
    raw = io.BytesIO()
    wb.save(raw)
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _STAMP.sub(b"2000-01-01T00:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED)
    return fixed.getvalue()
