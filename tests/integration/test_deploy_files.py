"""The files of deploy/ hold together: each service runs a kasa command that exists with
the arguments it gives, each timer starts a service that is shipped, the settings the
units name are Kasa's own, systemd accepts the units (where systemd-analyze is
installed), and the nginx templates render only when every parameter is given. That
nginx serves the rendered configuration as promised is checked by scripts/deploy-check."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kasa.entrypoints.settings import KNOWN_VARIABLES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("kasa-*"))
KASA = str(Path(sys.executable).parent / "kasa")


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def kasa_command(path: Path) -> list[str]:
    """The unit's ExecStart as the kasa command it runs, ``${NAME}`` taken from the
    unit's own Environment= defaults."""
    service = unit(path)["Service"]
    defaults = dict(
        item.split("=", 1) for item in shlex.split(service.get("Environment", "")) if "=" in item
    )
    line = service["ExecStart"]
    if line.startswith("/bin/sh -c "):
        line = shlex.split(line)[2].removeprefix("exec ")
    line = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m[1]], line)
    line = re.sub(r"\$\(date[^)]*\)", "2026-01-01T0000", line)
    words = shlex.split(line)
    assert words[0] == "/opt/kasa/.venv/bin/kasa", words
    return words[1:]


KINDS = ("service", "timer")


def test_the_units_are_the_ones_the_guide_names() -> None:
    names = {p.name for p in UNITS}
    assert names == {
        "kasa-mobile.service",
        "kasa-admin.service",
        "kasa-notify.service",
        *(
            f"kasa-{job}.{kind}"
            for job in ("reconcile", "remind", "backup", "sweep")
            for kind in ("service", "timer")
        ),
    }
    guide = (DEPLOY / "README.md").read_text()
    assert all(name.split(".")[0] in guide for name in names)


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".service"], ids=lambda p: p.name)
def test_each_service_runs_a_kasa_command_that_takes_its_arguments(path: Path) -> None:
    args = kasa_command(path)
    result = subprocess.run([KASA, *args, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    service = unit(path)["Service"]
    assert service["User"] == "kasa" and service["EnvironmentFile"] == "/etc/kasa/kasa.env"
    named = set(re.findall(r"\b(KASA_\w+)", path.read_text()))
    assert named <= KNOWN_VARIABLES, named - KNOWN_VARIABLES  # no unknown-setting warning


def test_the_api_services_take_their_workers_from_a_setting() -> None:
    for app, setting in (("mobile", "KASA_MOBILE_WORKERS"), ("admin", "KASA_ADMIN_WORKERS")):
        text = (DEPLOY / "systemd" / f"kasa-{app}.service").read_text()
        assert f"--workers ${{{setting}}}" in text and f"Environment={setting}=" in text
        assert kasa_command(DEPLOY / "systemd" / f"kasa-{app}.service")[:2] == ["serve", app]


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".timer"], ids=lambda p: p.name)
def test_each_timer_starts_a_shipped_service(path: Path) -> None:
    timer = unit(path)
    service = timer["Timer"].get("Unit", path.with_suffix(".service").name)
    assert (DEPLOY / "systemd" / service).is_file()
    assert timer["Timer"].get("OnCalendar") or timer["Timer"].get("OnUnitActiveSec")
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not here")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    for path in UNITS:
        text = path.read_text().replace("/opt/kasa/.venv/bin/kasa", KASA)
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    said = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "Failed to" not in line and "bus" not in line.lower()
    ]
    assert not said, said


def test_the_nginx_templates_render_only_with_every_parameter(tmp_path: Path) -> None:
    example = (DEPLOY / "nginx" / "nginx.env.example").read_text()
    render = str(DEPLOY / "nginx" / "render")
    kept = {"kasa.conf.template": "$request_id", "kasa-common.conf.template": "$kasa_request_id"}
    for template, variable in kept.items():
        out = subprocess.run(
            [render, str(DEPLOY / "nginx" / "nginx.env.example"), str(DEPLOY / "nginx" / template)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert re.search(r"\$\{[A-Z_]", out) is None  # every parameter filled in
        assert variable in out  # nginx's own variables stay
        assert "fund.example.org" in out
    short = tmp_path / "short.env"
    short.write_text(example.replace("MOBILE_HOST=", "#MOBILE_HOST="))
    refused = subprocess.run(
        [render, str(short), str(DEPLOY / "nginx" / "kasa.conf.template")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1 and "MOBILE_HOST is not set" in refused.stderr


def test_render_reads_the_file_as_systemd_does(tmp_path: Path) -> None:
    """Quotes around a value are removed and nothing in it is expanded."""
    example = (DEPLOY / "nginx" / "nginx.env.example").read_text()
    env = tmp_path / "quoted.env"
    env.write_text(
        example.replace("MOBILE_HOST=api.fund.example.org", 'MOBILE_HOST="api.$HOME.org"').replace(
            "LOG_DIR=/var/log/nginx", "LOG_DIR='/var/log/a&b'"
        )
    )
    out = subprocess.run(
        [str(DEPLOY / "nginx" / "render"), str(env), str(DEPLOY / "nginx" / "kasa.conf.template")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "server_name api.$HOME.org;" in out and "/var/log/a&b/kasa-access.log" in out
