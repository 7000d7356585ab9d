"""A rotated token file reaches the client; a broken one keeps the token in use."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from nbaccess.config import Settings
from nbaccess.token_reload import follow_token_file


async def test_a_rotated_token_is_applied_once_and_an_empty_file_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("nbp_first_token_value\n")
    settings = Settings(netbird_api_token_file=token_file)
    applied: list[str] = []
    follower = asyncio.create_task(
        follow_token_file(
            settings,
            settings.api_token(),
            lambda t: applied.append(t.get_secret_value()),
            period=0.01,
        )
    )
    try:
        await asyncio.sleep(0.05)
        assert applied == []  # unchanged: nothing to do
        token_file.write_text("")  # a rotation caught half-way
        await asyncio.sleep(0.05)
        assert applied == []
        token_file.write_text("nbp_second_token_value\n")
        await asyncio.sleep(0.05)
        assert applied == ["nbp_second_token_value"]
    finally:
        follower.cancel()
    assert "the file is empty" in caplog.text
    assert "nbp_" not in caplog.text


async def test_a_token_from_the_environment_is_not_followed() -> None:
    settings = Settings(netbird_api_token=SecretStr("nbp_from_the_environment"))
    # Returns at once: there is no file to follow.
    await asyncio.wait_for(follow_token_file(settings, settings.api_token(), print), 1)
