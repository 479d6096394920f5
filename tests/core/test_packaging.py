"""Packaging: what a user installs and sees when an extra is missing."""

from __future__ import annotations

import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import zylon_core

ROOT = Path(__file__).resolve().parents[2]


def _import_without(module: str, blocked: str) -> subprocess.CompletedProcess[str]:
    # A module set to None in sys.modules cannot be imported: as if the extra were not installed.
    code = f"import sys; sys.modules[{blocked!r}] = None; import {module}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize(
    ("module", "blocked", "extra"),
    [("langchain_zylon", "langchain_core", "langchain"), ("llama_index_zylon", "llama_index.core", "llama-index")],
)
def test_an_adapter_without_its_extra_names_the_install_to_run(module: str, blocked: str, extra: str) -> None:
    result = _import_without(module, blocked)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError:") and f'pip install "zylon-integrations[{extra}]"' in last


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("zylon_integrations-*.whl")
    return found


def test_the_wheel_ships_the_license_the_version_and_the_type_markers(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = email.message_from_string(archive.read(next(n for n in names if n.endswith("/METADATA"))).decode())
    assert any(n.endswith("/licenses/LICENSE") for n in names)
    assert metadata["Version"] == zylon_core.__version__  # one place: zylon_core/_version.py
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13)} <= set(classifiers)
    for package in ("zylon_core", "langchain_zylon", "llama_index_zylon"):
        assert f"{package}/py.typed" in names
    # Test and benchmark tools are dependency groups, not extras users can pick.
    assert set(metadata.get_all("Provides-Extra")) == {"langchain", "llama-index", "emulator", "all"}


def test_the_emulator_command_without_its_extra_says_what_to_install() -> None:
    code = "import sys; sys.modules['starlette'] = None; from zylon_core._emulator_cli import main; main(['--help'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'zylon-emulator needs the emulator extra (starlette is not installed): pip install "zylon-integrations[emulator]"'
    )
    blocked = _import_without("zylon_core.emulator", "starlette")
    assert 'pip install "zylon-integrations[emulator]"' in blocked.stderr.strip().splitlines()[-1]


def test_the_emulator_command_runs_its_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from zylon_core._emulator_cli import main; main(['--help'])"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0 and "--paths" in result.stdout
