"""tests/e2e is an application workspace that depends on rules_executorch through
local_repository; `bazel test //...` must pass in it."""
import os

from tests.nested_bazel import NestedBazel, python_environment_repo


def test_app_workspace_builds_and_tests(tmp_path):
    app = os.path.join(os.path.dirname(os.path.realpath("WORKSPACE")), "tests", "e2e")
    bazel = NestedBazel(app, str(tmp_path / "output_base"),
                        python_environment_repo("../rules_executorch_python/bin/python3"))
    _, ran = bazel.run("test", "//...")  # fails the test unless every test there passes
    assert ran.count("ExecuTorchExport") == 2, ran
    assert ran.count("TestRunner") >= 2, ran  # outputs_test and kws_test
