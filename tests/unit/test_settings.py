"""Typed settings: every source is coerced by the field's type, and a bad value is one clear
``ValueError`` naming the setting, where the value came from and the value."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dashboard.settings import DEFAULT_STORE, Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("GRIDCMD_"):
            monkeypatch.delenv(name)


def test_defaults_then_file_then_environment_then_arguments(tmp_path, monkeypatch):
    assert Settings.load() == Settings()
    assert Settings().store == DEFAULT_STORE and Settings().port == 8050
    config = tmp_path / "gridcmd.toml"
    config.write_text('port = 9000\ncity = 3206\nhost = "0.0.0.0"\ncookie_secure = false\n'
                      'asof_stale_days = 2\n', encoding="utf-8")
    s = Settings.load(config)
    # a TOML integer for a text setting is its digits; an integer for a float is that float
    assert (s.port, s.city, s.host, s.cookie_secure, s.asof_stale_days) == \
        (9000, "3206", "0.0.0.0", False, 2.0)
    monkeypatch.setenv("GRIDCMD_PORT", "9100")
    monkeypatch.setenv("GRIDCMD_DEBUG", "yes")
    monkeypatch.setenv("GRIDCMD_STORE", "~/stores/x.duckdb")
    s = Settings.load(config)
    assert s.port == 9100 and s.debug is True and s.host == "0.0.0.0"
    assert s.store == Path("~/stores/x.duckdb").expanduser()
    # an argument wins; None means "not given"
    s = Settings.load(config, port=9200, host=None)
    assert s.port == 9200 and s.host == "0.0.0.0"
    monkeypatch.setenv("GRIDCMD_CONFIG", str(config))
    assert Settings.load().port == 9100


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("GRIDCMD_PORT", "ten", "setting port (from GRIDCMD_PORT): input should be a valid "
                                "integer"),
        ("GRIDCMD_DEBUG", "maybe", "setting debug (from GRIDCMD_DEBUG): input should be a "
                                   "valid boolean"),
        ("GRIDCMD_ASOF_STALE_DAYS", "3 days", "setting asof_stale_days"),
        ("GRIDCMD_KPI_ONTIME", "sometimes", "setting kpi_ontime (from GRIDCMD_KPI_ONTIME): "
                                            "input should be 'closed' or 'due'"),
        ("GRIDCMD_INGEST_EARLIEST", "yesterday", "setting ingest_earliest (from "
                                                 "GRIDCMD_INGEST_EARLIEST): not an ISO date"),
    ],
)
def test_a_bad_environment_value_names_the_setting_and_the_variable(monkeypatch, env, value,
                                                                    message):
    monkeypatch.setenv(env, value)
    with pytest.raises(ValueError) as err:
        Settings.load()
    assert str(err.value).startswith(message), err.value
    assert str(err.value).endswith(f"got {value!r}") and "\n" not in str(err.value)


def test_bad_files_and_keys(tmp_path):
    with pytest.raises(ValueError, match="settings file not found"):
        Settings.load(tmp_path / "none.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("port = = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"settings file {broken}"):
        Settings.load(broken)
    typo = tmp_path / "typo.toml"
    typo.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown settings: prot"):
        Settings.load(typo)
    fraction = tmp_path / "fraction.toml"
    fraction.write_text("port = 80.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"setting port \\(from {fraction}\\): .*fractional"):
        Settings.load(fraction)
    with pytest.raises(ValueError, match="^setting kpi_ontime: "):
        Settings.load(kpi_ontime="always")


def test_replace_keeps_a_frozen_checked_dataclass():
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.port = 1  # type: ignore[misc]
    assert dataclasses.replace(s, cookie_secure=False).cookie_secure is False
    with pytest.raises(ValueError):
        dataclasses.replace(s, port="ten")
