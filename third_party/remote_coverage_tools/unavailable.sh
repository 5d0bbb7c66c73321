#!/bin/sh
echo "bazel coverage is not available with rules_executorch's offline stand-in for @remote_coverage_tools" >&2
exit 1
