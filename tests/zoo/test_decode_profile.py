"""Bad input to //bench:decode_profile: one sentence naming the file, no traceback."""
import pytest

from bench import decode_profile


@pytest.mark.parametrize("content", [None, b"", b"not an ExecuTorch program"])
def test_a_missing_or_broken_program_is_named(tmp_path, content):
    path = tmp_path / "broken.pte"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_:
        decode_profile.main(["--ptes", str(path)])
    message = str(exit_.value.code)
    assert message.startswith("decode_profile: ") and str(path) in message, message
    assert "\n" not in message, message
