"""Shared helpers of the zoo tests: locating built programs and running them in Python."""
import json
import os

import torch


def runfile(path: str) -> str:
    """Path of a data dependency from the test's working directory (the main repo's runfiles)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is not in the test's runfiles; add it to data")
    return path


def load_manifest(stem: str) -> dict:
    with open(runfile(stem + ".json"), encoding="utf-8") as f:
        return json.load(f)


class LoadedProgram:
    """An ExecuTorch program and its methods. The methods must not outlive the program, so
    this object keeps both (and the bytes) alive together."""

    def __init__(self, path: str):
        import executorch.kernels.quantized  # noqa: F401  (registers quantized_decomposed kernels)
        from executorch.runtime import Runtime

        with open(runfile(path), "rb") as f:
            self.data = f.read()
        data_file = path[: -len(".pte")] + ".ptd"  # the program's data file, when it has one
        self.program = Runtime.get().load_program(self.data, data_path=data_file if os.path.exists(data_file) else None)
        self._methods = {}

    def method(self, name: str = "forward"):
        if name not in self._methods:
            self._methods[name] = self.program.load_method(name)
        return self._methods[name]

    def run(self, inputs, name: str = "forward"):
        return self.method(name).execute(list(inputs))


def pte_greedy(program, prompt_ids, steps, parallel_prefill):
    """Greedy tokens and the logits at every prompt position of a text-generation program
    (ExecuTorch's calling convention; forward returns the last position's logits). Positions
    are fed one at a time; with parallel prefill the whole prompt is then fed again in one call
    (same cache slots), which gives the last row and the state decoding continues from."""
    rows = [program.run([torch.tensor([[token]]), torch.tensor([pos])])[0][0, -1] for pos, token in enumerate(prompt_ids)]
    if parallel_prefill:
        rows[-1] = program.run([torch.tensor([prompt_ids]), torch.arange(len(prompt_ids))])[0][0, -1]
    prefill_logits = torch.stack(rows)
    tokens = [int(prefill_logits[-1].argmax())]
    pos = len(prompt_ids)
    while len(tokens) < steps:
        out = program.run([torch.tensor([[tokens[-1]]]), torch.tensor([pos])])[0]
        tokens.append(int(out[0, -1].argmax()))
        pos += 1
    return tokens, prefill_logits
