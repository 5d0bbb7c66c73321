"""Public API of rules_executorch. Everything else is private and may change."""

load("//rules:providers.bzl", _ExecuTorchModelInfo = "ExecuTorchModelInfo", _ZooModelInfo = "ZooModelInfo")
load("//rules/private:model.bzl", _executorch_model = "executorch_model")

executorch_model = _executorch_model
ExecuTorchModelInfo = _ExecuTorchModelInfo
ZooModelInfo = _ZooModelInfo
