"""Compressed exports: .gz (CSV, NDJSON, XLSX, Parquet) and .zip (one data member, or the one
``[source] member`` names), written by Python's gzip and zipfile as portals serve them. The
rows stored equal those of the same file uncompressed; a damaged archive or an encoding
problem inside one says what it is."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import pandas as pd
import pytest

from dashboard.ingest.load import load_files, store_area
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import FileError
from tests.unit.ingest_helpers import connect, copy_store, incident_rows

IDENTITY = Mapping.identity("incidents")
COLUMNS = ("case_no", "source", "category_code", "grid_code", "lon", "lat", "reported_at",
           "registered_at", "closed_at", "status")


@pytest.fixture(scope="module")
def env(ingest_store, tmp_path_factory):
    path = copy_store(ingest_store, tmp_path_factory.mktemp("gz"))
    con = connect(path)
    yield con, store_area(con), tmp_path_factory.mktemp("gzfiles")
    con.close()


def _rows(con, prefix, n=6):
    frame = pd.DataFrame(incident_rows(con, n, prefix=prefix))
    frame.loc[2, "source"] = "微信"  # one row quarantined, as in a real export
    return frame


def _stored(con, prefix):
    return con.execute(f"SELECT {', '.join(COLUMNS[1:])} FROM incidents "
                       f"WHERE case_no LIKE $p ORDER BY case_no", {"p": f"{prefix}%"}).df()


def _load(env, path, mapping=IDENTITY):
    s = load_files(env[0], "incidents", mapping, [path], area=env[1])
    assert s.balanced(), s.report()
    return s


class _GbkName(zipfile.ZipInfo):
    """A member name as Chinese Windows archivers write it: GBK bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):  # noqa: N802  (zipfile's own hook)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _zip(path, members: dict, utf8_names=True):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = (zipfile.ZipInfo if utf8_names else _GbkName)(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "xlsx", "parquet"])
def test_gzip_of_each_format_loads_as_the_plain_file(env, fmt):
    con, _, d = env
    plain_rows = _rows(con, f"P{fmt[:3].upper()}")
    gz_rows = plain_rows.assign(case_no=plain_rows.case_no.str.replace("P", "G", n=1))
    for rows, path in ((plain_rows, d / f"plain.{fmt}"), (gz_rows, d / f"export.{fmt}")):
        if fmt == "csv":
            rows.to_csv(path, index=False)
        elif fmt == "ndjson":
            path.write_text("\n".join(json.dumps(r, ensure_ascii=False)
                                      for r in rows.to_dict("records")), encoding="utf-8")
        elif fmt == "xlsx":
            rows.to_excel(path, index=False)
        else:
            rows.to_parquet(path)
    gz = d / f"export.{fmt}.gz"
    gz.write_bytes(gzip.compress((d / f"export.{fmt}").read_bytes()))
    a = _load(env, d / f"plain.{fmt}")
    b = _load(env, gz)
    assert (b.inserted, b.quarantined) == (a.inserted, a.quarantined) == (5, 1), b.report()
    pd.testing.assert_frame_equal(_stored(con, f"G{fmt[:3].upper()}"),
                                  _stored(con, f"P{fmt[:3].upper()}"))
    q = con.execute("SELECT source_file, rule FROM quarantine WHERE source_file = $f",
                    {"f": gz.name}).fetchall()
    assert q == [(gz.name, "unknown_value")]


def test_gzip_recognised_by_its_bytes(env):
    con, _, d = env
    path = d / "mislabelled.csv"  # a portal served gzip under a plain name
    path.write_bytes(gzip.compress(_rows(con, "MAG").to_csv(index=False).encode()))
    assert _load(env, path).inserted == 5


def test_zip_members_and_a_gbk_csv_inside(env):
    con, _, d = env
    rows = _rows(con, "ZIP")
    text = rows.to_csv(index=False)
    one = _zip(d / "one.zip", {"导出/工单.csv": text.encode(), "__MACOSX/._工单.csv": b"\0",
                               "readme.txt.md": b"about"})
    assert _load(env, one).inserted == 5
    two = rows.assign(case_no=rows.case_no.str.replace("ZIP", "ZP2"))
    several = _zip(d / "several.zip", {"a.csv": two.to_csv(index=False).encode(),
                                       "b.csv": two.to_csv(index=False).encode()})
    with pytest.raises(FileError, match=r"several\.zip: the archive holds 2 data files "
                                        r"\['a\.csv', 'b\.csv'\]; name the one to load with "
                                        r"\[source\] member"):
        _load(env, several)
    pick = Mapping.identity("incidents", member="b.csv")
    assert _load(env, several, pick).inserted == 5
    with pytest.raises(FileError, match=r"no member 'c\.csv'; the archive holds "
                                        r"\['a\.csv', 'b\.csv'\]"):
        _load(env, several, Mapping.identity("incidents", member="c.csv"))
    # a GBK CSV inside a zip whose member name is GBK too (no UTF-8 flag)
    gbk = rows.assign(case_no=rows.case_no.str.replace("ZIP", "ZGB"), source="12345热线")
    archive = _zip(d / "网格工单.zip", {"工单导出.csv": gbk.to_csv(index=False).encode("gbk")},
                   utf8_names=False)
    with pytest.raises(FileError) as err:
        _load(env, archive)
    # the problem is named where it is: the member's text, not the compressed bytes
    assert str(err.value).startswith("网格工单.zip (member 工单导出.csv): not UTF-8 encoded")
    s = _load(env, archive, Mapping.identity("incidents", encoding="gbk"))
    assert (s.inserted, s.quarantined) == (6, 0), s.report()


def test_damaged_archives_say_so(env):
    con, _, d = env
    data = gzip.compress(_rows(con, "BAD").to_csv(index=False).encode())
    (d / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(FileError, match=r"cut\.csv\.gz: not a readable gzip file .*damaged "
                                        r"or truncated"):
        _load(env, d / "cut.csv.gz")
    (d / "notzip.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(FileError, match=r"notzip\.zip: not a readable zip archive"):
        _load(env, d / "notzip.zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt.md", "nothing to load")
    (d / "empty.zip").write_bytes(buf.getvalue())
    with pytest.raises(FileError, match=r"no data file .* in the archive; it holds "
                                        r"\['notes\.txt\.md'\]"):
        _load(env, d / "empty.zip")
    assert con.execute("SELECT count(*) FROM incidents WHERE case_no LIKE 'BAD%'"
                       ).fetchone()[0] == 0
