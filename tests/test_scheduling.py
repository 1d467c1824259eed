"""The recipes of docs/scheduling.md, run exactly as written (placeholders aside).

Each command is taken from the document, its placeholders replaced by a throwaway
Postgres database, a password file, an archive folder and this checkout's ``ihub``,
and run with no terminal (stdin, stdout and stderr are not TTYs) and the sparse
environment a scheduler gives.  The password reaches libpq through ``PGPASSFILE``
only, and must appear nowhere in what the run leaves behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jinja2
import jsonschema
import nbformat
import psycopg
import pytest
from conftest import REPO
from stub_notebooks import write_stub_notebooks
from test_charts import chart_world

from ihub_analysis.reports import archive, manifest
from ihub_analysis.reports.catalog import NOTEBOOKS_ENV, REPORTS

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DOC = REPO / "docs" / "scheduling.md"
IHUB = Path(sys.executable).parent / "ihub"
PLACEHOLDERS = {
    "url": "postgresql://ihub_reader@db.example.org:5432/interhub",
    "ihub": "/opt/ihub/.venv/bin/ihub",
    "pgpass": "/etc/ihub/pgpass",
    "archive": "/srv/ihub/archive",
    "log": "/srv/ihub/report.log",
}
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)


def blocks(kind: str, title: str = "") -> list[str]:
    """The fenced code blocks of the document with this info string."""
    found = [
        body
        for lang, info, body in _BLOCK.findall(DOC.read_text(encoding="utf-8"))
        if lang == kind and info.strip() == title
    ]
    assert found, f"no ```{kind} {title} block in {DOC}"
    return found


@pytest.fixture()
def secured(
    make_pg_db: Callable[[], str], pg_admin: str, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """A database reachable only with a password, which sits in a 0600 password file."""
    url = chart_world(weeks=3).to_postgres(make_pg_db())
    role = f"ihub_reader_{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    parts = urlsplit(url)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{parts.hostname}:{parts.port}:{parts.path.lstrip('/')}:{role}:{password}\n")
    pgpass.chmod(0o600)
    plain = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
    try:
        yield {
            "url": plain,
            "ihub": str(IHUB),
            "pgpass": str(pgpass),
            "archive": str(tmp_path / "archive"),
            "log": str(tmp_path / "report.log"),
            "password": password,
            "notebooks": str(kernel_notebooks(tmp_path / "notebooks")),
        }
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f"DROP ROLE {role}")


def kernel_notebooks(folder: Path) -> Path:
    """Small notebooks that keep the contract and query the source from the kernel, which
    can only work if the kernel, too, finds the password in the password file."""
    body = (
        "import ihub_analysis\n"
        "with ihub_analysis.connect(source) as wb:\n"
        "    print('hubs', wb.health(as_of=as_of).height)"
    )
    return write_stub_notebooks(
        folder, lambda spec: body, extra_parameters="\nhub = None", dossiers=True
    )


def substitute(text: str, values: dict[str, Any]) -> str:
    for key, placeholder in PLACEHOLDERS.items():
        text = text.replace(placeholder, values[key])
    for leftover in ("example.org", "/opt/ihub", "/etc/ihub", "/srv/ihub"):
        assert leftover not in text, f"placeholder {leftover} left in {text!r}"
    return text


def scheduler_env(values: dict[str, Any], **extra: str) -> dict[str, str]:
    """The little a scheduler passes on; PGPASSWORD is never among it."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        NOTEBOOKS_ENV: values["notebooks"],
        **extra,
    }
    assert "PGPASSWORD" not in env
    return env


def run_detached(
    argv: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run with no terminal anywhere: stdin from /dev/null, output to pipes."""
    return subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
        start_new_session=True,  # no controlling terminal either
    )


def check_run(values: dict[str, Any], log_text: str) -> dict[str, Any]:
    """One run in the archive, a valid manifest, JSON log lines, the password nowhere."""
    arch = Path(values["archive"])
    runs = archive.runs(arch)
    assert len(runs) == 1
    data = runs[0].manifest
    jsonschema.Draft202012Validator(manifest.schema()).validate(data)
    assert data["exit_status"] == 0 and {r["status"] for r in data["reports"]} == {"rendered"}
    assert data["source"] == values["url"]
    for name in REPORTS:
        executed = nbformat.read(runs[0].folder / f"{name}.ipynb", as_version=4)
        assert "hubs " in "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    records = [json.loads(line) for line in log_text.strip().splitlines()]
    assert records[-1]["event"] == "finished" and records[-1]["exit_status"] == 0
    assert {r["level"] for r in records} <= {"info", "warning"}  # the data is old: a warning
    assert (arch / "index.html").exists() and (arch / "latest").is_symlink()
    for path in arch.rglob("*"):
        if path.is_file():
            assert values["password"] not in path.read_text(encoding="utf-8", errors="replace")
    assert values["password"] not in log_text
    return data


def test_cron_line(secured: dict[str, Any], tmp_path: Path) -> None:
    (line,) = [ln for ln in blocks("crontab")[0].splitlines() if ln and not ln.startswith("#")]
    fields = line.split(maxsplit=5)
    assert fields[:5] == ["0", "6", "1", "*", "*"]  # 06:00 on the 1st of every month
    command = substitute(fields[5], secured)
    assert "%" not in command  # cron would cut the line there
    done = run_detached(["/bin/sh", "-c", command], scheduler_env(secured), tmp_path)
    assert done.returncode == 0, done.stderr + Path(secured["log"]).read_text()
    assert done.stdout == "" and done.stderr == ""  # all of it went to the log file
    check_run(secured, Path(secured["log"]).read_text())


def _unit(text: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_systemd_service_and_timer(secured: dict[str, Any], tmp_path: Path) -> None:
    service = _unit(blocks("ini", "ihub-report.service")[0])
    timer = _unit(blocks("ini", "ihub-report.timer")[0])
    assert service["Type"] == ["oneshot"]
    assert timer["OnCalendar"] == ["*-*-01 06:00:00 UTC"] and timer["Persistent"] == ["true"]
    environment = dict(substitute(e, secured).split("=", 1) for e in service.get("Environment", []))
    assert set(environment) == {"PGPASSFILE"}
    (exec_start,) = service["ExecStart"]
    argv = shlex.split(substitute(exec_start, secured))
    done = run_detached(argv, scheduler_env(secured, **environment), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the JSON log format prints nothing on stdout
    check_run(secured, done.stderr)
    if Path("/usr/bin/systemd-analyze").exists():  # the unit files parse as systemd reads them
        for name in ("ihub-report.service", "ihub-report.timer"):
            (tmp_path / name).write_text(substitute(blocks("ini", name)[0], secured))
        checked = subprocess.run(
            ["/usr/bin/systemd-analyze", "verify", "--man=no", str(tmp_path / "ihub-report.timer")],
            capture_output=True,
            text=True,
        )
        assert "Unknown" not in checked.stderr, checked.stderr


def test_airflow_task(
    secured: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DAG snippet, with a stand-in BashOperator and Airflow's Jinja rendering."""
    made: dict[str, Any] = {}

    class BashOperator:  # the part of Airflow's operator the recipe uses
        def __init__(self, **kwargs: Any) -> None:
            made.update(kwargs)

    module = types.ModuleType("airflow.operators.bash")
    module.BashOperator = BashOperator  # type: ignore[attr-defined]
    for name in ("airflow", "airflow.operators"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "airflow.operators.bash", module)
    snippet = substitute(blocks("python")[0], secured)
    exec(compile(snippet, str(DOC), "exec"), {})
    assert made["task_id"] == "ihub_report" and made["append_env"] is True
    interval_end = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    command = jinja2.Template(made["bash_command"]).render(data_interval_end=interval_end)
    env = scheduler_env(secured, **made["env"])  # append_env: the worker's own, plus these
    done = run_detached(["/bin/bash", "-c", command], env, tmp_path)
    assert done.returncode == 0, done.stderr
    data = check_run(secured, done.stderr)
    assert data["as_of"] == "2026-11-01T00:00:00Z"
    assert (Path(secured["archive"]) / "2026-11-01T000000Z").is_dir()
