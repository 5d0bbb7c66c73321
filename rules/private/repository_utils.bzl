"""Helpers shared by the repository rules."""

def check_execute(result, what):
    """Fails the fetch with the command's output when `result` (of rctx.execute) failed."""
    if result.return_code != 0:
        fail("rules_executorch: {} failed (exit {}):\n{}{}".format(
            what,
            result.return_code,
            result.stdout[-4000:],
            result.stderr[-4000:],
        ))
