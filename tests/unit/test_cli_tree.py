"""The ``gridcmd`` command tree (click): usage errors, help, several values after one
``--kpi``, and bad settings, all in this process through ``main``."""

from __future__ import annotations

import pytest

from dashboard.cli import cli, kpi, main

COMMANDS = ["serve", "demo", "summaries", "kpi", "report", "user", "import", "foresight",
            "migrate"]


def test_help_lists_every_command_in_order_and_exits_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines()
              if line.startswith("  ") and not line.startswith("    ")]
    assert listed == COMMANDS == list(cli.commands)
    assert main(["import", "-h"]) == 0
    out = capsys.readouterr().out
    for name in ("records", "taxonomy", "report", "repair", "boundaries"):
        assert f"  {name} " in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kpi", "--by", "year"], "Invalid value for '--by'"),
        (["kpi", "--format", "xml"], "Invalid value for '--format'"),
        (["demo", "--incidents", "10"], "Missing option '--store'"),
        (["demo", "--store", "x.duckdb", "--incidents", "lots"], "not a number: 'lots'"),
        (["serve", "--port", "http"], "'http' is not a valid integer"),
        (["user", "pii", "zhang", "maybe"], "'maybe' is not one of 'on', 'off'"),
        (["import", "records", "--kind", "incidents"], "Missing argument 'FILE...'"),
        (["import", "nothing"], "No such command 'nothing'"),
        (["nothing"], "No such command 'nothing'"),
        (["kpi", "--regoin", "3206"], "Did you mean '--region'?"),
    ],
)
def test_usage_errors_exit_2_with_the_usage_and_one_error_line(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines[0].startswith("Usage: gridcmd")
    assert lines[-1].startswith("gridcmd: error: ") and message in lines[-1], captured.err
    assert captured.out == ""


def test_no_command_prints_the_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "Commands:" in capsys.readouterr().err


def test_several_values_after_one_kpi_option():
    ctx = kpi.make_context("kpi", ["--kpi", "reported", "结案率", "--by", "month",
                                   "--kpi", "overdue,close_rate", "--region", "3206",
                                   "--kpi=ontime_rate"])
    assert ctx.params["kpi_keys"] == ("reported", "结案率", "overdue,close_rate", "ontime_rate")
    assert ctx.params["by"] == "month" and ctx.params["region"] == "3206"
    # a value after another option is not a KPI: it is an unexpected argument
    with pytest.raises(Exception, match="unexpected extra argument"):
        kpi.make_context("kpi", ["--kpi", "reported", "--by", "month", "close_rate"])


def test_bad_settings_are_one_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRIDCMD_IMPORT_BATCH_ROWS", "many")
    assert main(["migrate", "--store", str(tmp_path / "x.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gridcmd: error: setting import_batch_rows (from "
                          "GRIDCMD_IMPORT_BATCH_ROWS): ") and err.count("\n") == 1, err
    monkeypatch.delenv("GRIDCMD_IMPORT_BATCH_ROWS")
    assert main(["--config", str(tmp_path / "none.toml"), "migrate"]) == 2
    assert "settings file not found" in capsys.readouterr().err
    config = tmp_path / "gridcmd.toml"
    config.write_text('store = "missing.duckdb"\n', encoding="utf-8")
    assert main(["--config", str(config), "migrate"]) == 2
    assert "store not found: missing.duckdb" in capsys.readouterr().err
