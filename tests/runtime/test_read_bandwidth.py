"""//bench:read_bandwidth, the decode benchmark's bandwidth probe: one JSON line with a rate per
thread count, and one sentence (exit 2) for each kind of bad flag."""
import json
import subprocess

import pytest

TOOL = "bench/read_bandwidth"


def test_prints_a_rate_per_thread_count():
    out = subprocess.run([TOOL, "--buffer_mb", "8", "--threads", "1,2", "--repeats", "1"], capture_output=True, text=True,
                         check=True).stdout
    result = json.loads(out)
    assert result["buffer_mb"] == 8
    assert set(result["read_gb_per_s"]) == {"1", "2"}
    assert all(rate > 0 for rate in result["read_gb_per_s"].values())


@pytest.mark.parametrize(
    "flags,expected",
    [
        (["--buffer_mb", "0"], "--buffer_mb takes a positive number of MiB"),
        (["--buffer_mb", "lots"], "--buffer_mb takes a positive number of MiB"),
        (["--repeats", "-1"], "--repeats takes a positive count"),
        (["--threads", "1,,2"], "--threads takes a comma-separated list of thread counts (1-256)"),
        (["--threads", "1000"], "--threads takes a comma-separated list of thread counts (1-256)"),
        (["--repeats"], "--repeats needs a value"),
        (["--fast", "1"], "unknown flag --fast"),
    ],
)
def test_bad_flags_get_one_sentence(flags, expected):
    proc = subprocess.run([TOOL, *flags], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("read_bandwidth: " + expected), proc.stderr
