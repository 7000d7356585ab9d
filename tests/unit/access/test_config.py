"""`.nbaccess.yaml`: found upward from the input, validated with the line of a mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbaccess.access.config import find_config, load_config
from nbaccess.access.loading import InputError


def test_found_upward_but_not_beyond_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "clusters" / "prod").mkdir(parents=True)
    (repo / ".git").mkdir()
    (tmp_path / ".nbaccess.yaml").write_text("severity: {}\n")  # outside the repository
    assert find_config([str(repo / "clusters" / "prod")]) is None
    (repo / ".nbaccess.yaml").write_text("severity: {}\n")
    assert find_config([str(repo / "clusters" / "prod" / "a.yaml")]) == repo / ".nbaccess.yaml"


def test_severities_patterns_and_limits(tmp_path: Path) -> None:
    path = tmp_path / ".nbaccess.yaml"
    path.write_text(
        "severity: {unused-group: error, no-justification: 'off'}\n"
        "naming: {NetBirdGroup: 'usr-.+'}\n"
        "openNetworkResource: {minPrefixV4: 20}\n"
    )
    settings = load_config(path)
    assert settings.severity_of("unused-group") == "error"
    assert settings.severity_of("no-justification") == "off"
    assert settings.severity_of("all-protocol") == "warning"  # the default
    assert settings.naming["NetBirdGroup"].fullmatch("usr-support")
    assert (settings.limits.min_prefix_v4, settings.limits.min_prefix_v6) == (20, 48)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "severity:\n  all-protocl: error\n",
            r":2: severity\.all-protocl: unknown rule all-protocl; rules are",
        ),
        ("severity:\n  all-protocol: fatal\n", r":2: severity\.all-protocol: Input should be"),
        (
            "naming:\n  NetBirdGroup: '(unclosed'\n",
            r":2: naming\.NetBirdGroup: not a regular expression",
        ),
        ("naming:\n  Group: 'x'\n", r":2: naming\.Group"),
        ("openNetworkResource: {minPrefixV4: 40}\n", r":1: openNetworkResource\.minPrefixV4"),
        ("rules: {}\n", r":1: rules: Extra inputs are not permitted"),
        ("- a\n", r"must be a mapping"),
    ],
)
def test_a_mistake_names_the_file_line_and_key(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / ".nbaccess.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=error):
        load_config(path)
