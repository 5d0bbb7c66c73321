"""Analysis tests for the rules: expected failures, and what a model target provides."""

load("//rules:defs.bzl", "ExecuTorchModelInfo")

def _analysis_failure_test_impl(ctx):
    target = ctx.attr.target_under_test[0]  # a list: the attribute has a transition
    if AnalysisFailureInfo not in target:
        return [AnalysisTestResultInfo(
            success = False,
            message = "{} analysed without error; expected one containing: {}".format(target.label, ctx.attr.expected),
        )]
    messages = [cause.message for cause in target[AnalysisFailureInfo].causes.to_list()]
    found = [m for m in messages if ctx.attr.expected in m]
    return [AnalysisTestResultInfo(
        success = len(found) > 0,
        message = "expected an error containing:\n  {}\ngot:\n  {}".format(ctx.attr.expected, "\n  ".join(messages)),
    )]

_allow_failures = analysis_test_transition(settings = {"//command_line_option:allow_analysis_failures": True})

analysis_failure_test = rule(
    implementation = _analysis_failure_test_impl,
    attrs = {
        "target_under_test": attr.label(mandatory = True, cfg = _allow_failures),
        "expected": attr.string(mandatory = True),
    },
    analysis_test = True,
)

def _model_outputs_test_impl(ctx):
    info = ctx.attr.target_under_test[ExecuTorchModelInfo]
    name = ctx.attr.target_under_test.label.name
    problems = []
    if info.pte.basename != name + ".pte":
        problems.append("pte is {}".format(info.pte.basename))
    if info.manifest.basename != name + ".json":
        problems.append("manifest is {}".format(info.manifest.basename))
    has_tokenizer = info.tokenizer != None
    if has_tokenizer != ctx.attr.expect_tokenizer:
        problems.append("tokenizer is {}".format(info.tokenizer))
    if info.task != ctx.attr.expect_task:
        problems.append("task is {}".format(info.task))
    has_data = info.data != None
    if has_data != ctx.attr.expect_data or (has_data and info.data.basename != name + ".ptd"):
        problems.append("data is {}".format(info.data))
    files = sorted([f.basename for f in ctx.attr.target_under_test[DefaultInfo].files.to_list()])
    expected_files = sorted([name + ".pte", name + ".json"] + ([name + ".tokenizer.json"] if ctx.attr.expect_tokenizer else []) +
                            ([name + ".ptd"] if ctx.attr.expect_data else []))
    if files != expected_files:
        problems.append("default outputs are {}, expected {}".format(files, expected_files))
    return [AnalysisTestResultInfo(success = not problems, message = "; ".join(problems))]

model_outputs_test = rule(
    implementation = _model_outputs_test_impl,
    attrs = {
        "target_under_test": attr.label(mandatory = True, providers = [ExecuTorchModelInfo]),
        "expect_tokenizer": attr.bool(mandatory = True),
        "expect_task": attr.string(mandatory = True),
        "expect_data": attr.bool(default = False),
    },
    analysis_test = True,
)
