"""Bad tool paths given to //bench:llm_runner and //bench:smollm2_decode: one sentence naming the
flag and the path, no traceback."""
import sys

import pytest

from bench import llm_runner


@pytest.mark.parametrize("flag", ["--read_bandwidth", "--method_runner"])
@pytest.mark.parametrize("kind", ["missing", "not executable"])
def test_a_tool_that_cannot_run_is_named(tmp_path, monkeypatch, flag, kind):
    tool = tmp_path / "tool"
    if kind == "not executable":
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o644)
    monkeypatch.setattr(sys, "argv", ["llm_runner", flag, str(tool)])
    with pytest.raises(SystemExit) as exit_:
        llm_runner.main()
    message = str(exit_.value.code)
    assert message.startswith("llm_runner: ") and flag in message and str(tool) in message, message
    assert "\n" not in message, message
