"""Public API of rules_executorch. Everything else is private and may change."""

load("//rules:providers.bzl", _ExecuTorchModelInfo = "ExecuTorchModelInfo", _ZooModelInfo = "ZooModelInfo")
load("//rules/private:firmware.bzl", _executorch_firmware = "executorch_firmware", _executorch_firmware_test = "executorch_firmware_test")
load("//rules/private:model.bzl", _executorch_model = "executorch_model")
load("//rules/private:runner.bzl", _executorch_model_test = "executorch_model_test", _executorch_runner = "executorch_runner")

executorch_firmware = _executorch_firmware
executorch_firmware_test = _executorch_firmware_test
executorch_model = _executorch_model
executorch_runner = _executorch_runner
executorch_model_test = _executorch_model_test
ExecuTorchModelInfo = _ExecuTorchModelInfo
ZooModelInfo = _ZooModelInfo
