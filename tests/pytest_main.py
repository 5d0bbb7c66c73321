"""Runs pytest on the files given on the command line, as a Bazel test."""
import os
import sys

import pytest

if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = ["-p", "no:cacheprovider", "-q", "-W", "ignore::DeprecationWarning"]
    if os.environ.get("TEST_TMPDIR"):
        args += ["--basetemp", os.path.join(os.environ["TEST_TMPDIR"], "pytest")]
    xml = os.environ.get("XML_OUTPUT_FILE")
    if xml:
        args += ["--junitxml", xml]
    sys.exit(pytest.main(args + sys.argv[1:]))
