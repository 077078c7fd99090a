"""The README's settings table is the Settings class: a new setting without documentation fails here."""

import runpy

from tests.support.servers import REPO


def test_readme_settings_table_is_up_to_date():
    table = runpy.run_path(str(REPO / "scripts" / "settings-table"))["table"]()
    readme = (REPO / "README.md").read_text()
    documented = readme.split("<!-- settings:start -->\n", 1)[1].split("<!-- settings:end -->", 1)[0].strip()
    assert documented == table, "run scripts/update-readme-settings"


def test_readme_starts_with_the_two_commands():
    lines = (REPO / "README.md").read_text().splitlines()
    commands = [line for line in lines[:12] if line.startswith("scripts/")]
    assert [c.split()[0] for c in commands] == ["scripts/run", "scripts/test"]
    assert all((REPO / c.split()[0]).exists() for c in commands)
