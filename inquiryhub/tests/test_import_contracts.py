"""Imports run one way (docs/architecture.md, .importlinter): a new forbidden import fails here."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The site on top of the apps: everything else in inquiryhub is the shared base below them.
LINT_IMPORTS = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
SITE_MODULES = {"context_processors", "demo", "management", "navigation", "tests", "urls", "views"}


def test_the_import_contracts_hold():
    result = subprocess.run(
        [LINT_IMPORTS, "--config", str(ROOT / ".importlinter")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_module_of_inquiryhub_is_either_the_shared_base_or_the_site():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    contract = config["importlinter:contract:shared-base-below-the-apps"]
    base = {name.removeprefix("inquiryhub.") for name in contract["source_modules"].split()}
    package = ROOT / "inquiryhub"
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert base.isdisjoint(SITE_MODULES)
    assert modules == base | SITE_MODULES
