"""The one command runner: Dh_Lib's doit with a log (echo with -v, skip under --no-act, one error line)."""

from __future__ import annotations

import pytest

from dh_pyrpath.contract import runner
from dh_pyrpath.contract.runner import run, run_pipeline
from dh_pyrpath.errors import PyrpathError


@pytest.fixture(autouse=True)
def default_state():
    yield
    runner.configure(verbose=False, no_act=False)


def test_verbose_echoes_a_tab_and_the_command_and_logs_the_output(tmp_path, capsys):
    runner.configure(verbose=True, no_act=False)
    log = tmp_path / "step.log"
    ran = run(["sh", "-c", "echo built; echo warned >&2"], "the step", log=str(log))
    out = capsys.readouterr().out
    assert out.startswith("\tsh -c 'echo built; echo warned >&2'\n") and "built" in out
    assert log.read_text().splitlines() == ["$ sh -c 'echo built; echo warned >&2'", "built", "warned"]
    assert ran.ok and "built" in ran.output


def test_no_act_skips_what_changes_and_runs_what_only_reads(tmp_path, capsys):
    runner.configure(verbose=False, no_act=True)
    target = tmp_path / "made"
    assert run(["touch", str(target)], "touching").ok and not target.exists()
    assert run(["echo", "read"], "reading", reads=True).output == "read\n"
    assert capsys.readouterr().out == ""


def test_failure_is_one_error_line_naming_the_log_after_its_tail(tmp_path, capsys):
    log = tmp_path / "make.log"
    with pytest.raises(PyrpathError) as failed:
        run(["sh", "-c", "echo compiling; echo 'error: no cc' >&2; exit 2"], "CPython make", log=str(log))
    assert str(failed.value) == f"CPython make failed (exit status 2); full log: {log}"
    assert "  | error: no cc" in capsys.readouterr().err


def test_explain_names_a_recognised_failure(tmp_path):
    log = tmp_path / "pip.log"
    with pytest.raises(PyrpathError) as failed:
        run(["sh", "-c", "echo 'ERROR: No matching distribution found for nope'; exit 1"], "pip install", log=str(log),
            explain=lambda output: "nope is not on the index" if "nope" in output else None)
    assert str(failed.value) == f"nope is not on the index; log: {log}"


def test_a_pipeline_fails_when_its_first_command_fails(tmp_path):
    ran = run_pipeline([["sh", "-c", "echo part; echo 'tar: read error' >&2; exit 2"], ["cat"]], "copying", check=False)
    assert ran.status == 2 and "tar: read error" in ran.output
    with pytest.raises(PyrpathError, match=r"^copying failed \(tar: read error\)$"):
        run_pipeline([["sh", "-c", "echo 'tar: read error' >&2; exit 2"], ["cat"]], "copying")


def test_a_missing_program_is_one_line():
    with pytest.raises(PyrpathError, match=r"^readelf -d: cannot run no-such-tool \(No such file or directory\)"):
        run(["no-such-tool"], "readelf -d", reads=True)


def test_stderr_apart_keeps_json_clean():
    ran = run(["sh", "-c", "echo '{}'; echo noise >&2"], "probe", reads=True, stderr_apart=True)
    assert ran.output == "{}\n" and ran.errors == "noise\n"
