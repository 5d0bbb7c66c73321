"""pytest_test: pytest files as one Bazel test."""

def pytest_test(name, srcs, deps = [], data = [], args = [], **kwargs):
    native.py_test(
        name = name,
        srcs = srcs + ["//tests:pytest_main.py"],
        main = "//tests:pytest_main.py",
        args = ["$(location {})".format(s) for s in srcs] + args,
        deps = deps,
        data = data,
        python_version = "PY3",
        **kwargs
    )
