"""What one export is asked to do: the model source and the export options."""
import dataclasses
from typing import Optional

DTYPES = ("float32", "float16", "bfloat16")


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """Where the weights come from.

    kind: zoo, checkpoint, gguf or module (see zoo.sources).
    path: zoo config .json, checkpoint directory, .gguf file, or "package.module:factory".
    tokenizer: optional tokenizer.json that goes with a zoo model.
    label: how the source is named in the manifest (a Bazel label, or the path as given).
    """

    kind: str
    path: str
    tokenizer: Optional[str] = None
    label: str = ""


@dataclasses.dataclass(frozen=True)
class ExportSettings:
    source: ModelSource
    task: Optional[str] = None
    recipe: str = "xnnpack"
    qlinear: Optional[str] = None
    qlinear_group_size: int = 32
    qembedding: Optional[str] = None
    qoutput: Optional[str] = None
    dtype: str = "float32"
    max_seq_len: int = 128
    dynamic_shapes: bool = True
    data_file: bool = False  # a tied embedding/output table stored once, in a .ptd next to the .pte
    exact_grid: bool = True  # grouped 4-bit weights already on such a grid (GGUF Q4_1) kept exact

    def as_manifest(self) -> dict:
        d = dataclasses.asdict(self)
        d["source"] = {"kind": self.source.kind, "label": self.source.label or self.source.path}
        return d
