"""Model sources: zoo configs (seeded random weights), HF checkpoint directories, GGUF files and
user factories. Each loader returns a LoadedModel; none of them touches the network."""
import contextlib
import dataclasses
import importlib
import json
import os
from typing import Any, Callable, Dict, Optional

import torch

from zoo.errors import ExportError
from zoo.settings import ModelSource


@dataclasses.dataclass
class LoadedModel:
    """An eager model plus what the task needs to know about it."""

    model: torch.nn.Module
    config: Any = None  # a transformers PretrainedConfig, or None for user modules
    tokenizer_json: Optional[str] = None  # path of a tokenizer.json to ship with the .pte
    example_inputs: Optional[tuple] = None  # user modules bring their own
    # text-generation extras read from the source: bos/eos ids and a generation config
    extras: Dict[str, Any] = dataclasses.field(default_factory=dict)


_LOADERS: Dict[str, Callable[[ModelSource], LoadedModel]] = {}


def _loader(kind):
    def decorate(fn):
        _LOADERS[kind] = fn
        return fn

    return decorate


def load(source: ModelSource) -> LoadedModel:
    if source.kind not in _LOADERS:
        raise ExportError(f"unknown model source kind {source.kind!r}; choose one of: {', '.join(sorted(_LOADERS))}")
    return _LOADERS[source.kind](source)


def _auto_class(architecture: str):
    import transformers

    cls = getattr(transformers, architecture, None)
    if not (isinstance(cls, type) and issubclass(cls, transformers.PreTrainedModel)):
        raise ExportError(f"transformers {transformers.__version__} has no model class {architecture!r}; fix \"architecture\" in the zoo config")
    return cls


def read_zoo_config(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            entry = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ExportError(f"zoo config {path} cannot be read: {e}") from None
    for key in ("architecture", "config"):
        if key not in entry:
            raise ExportError(f"zoo config {path} has no {key!r} entry; add it")
    if entry.get("linear_weights", "q4_1") != "q4_1":
        raise ExportError(f"zoo config {path} has linear_weights {entry['linear_weights']!r}; the only choice is \"q4_1\" (or leave it out)")
    return entry


def _round_to_q4_1(model) -> None:
    """Rounds the weights of every linear layer but the output projection onto GGUF's Q4_1 grid:
    per group of 32 inputs, 4-bit values with a float16 scale and minimum (what a model loaded
    from a Q4_1 .gguf file holds)."""
    output = model.get_output_embeddings()
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and module is not output:
            w = module.weight.data
            groups = w.reshape(w.shape[0], -1, 32)
            mins = groups.amin(-1, keepdim=True).half().float()
            scales = ((groups.amax(-1, keepdim=True) - mins) / 15).half().float()
            q = torch.round((groups - mins) / scales).clamp(0, 15)
            module.weight.data = (scales * q + mins).reshape(w.shape)


def build_zoo_model(entry: dict) -> torch.nn.Module:
    """The seeded random-weight model a zoo config describes (also used by tests as the eager reference)."""
    import transformers

    cls = _auto_class(entry["architecture"])
    hf_config = dict(entry["config"])
    model_type = hf_config.pop("model_type")
    config = transformers.AutoConfig.for_model(model_type, **hf_config)
    torch.manual_seed(int(entry.get("seed", 0)))
    model = cls._from_config(config, attn_implementation=entry.get("attn_implementation", "sdpa"))
    if entry.get("linear_weights") == "q4_1":
        _round_to_q4_1(model)
    return model.eval()


@_loader("zoo")
def _load_zoo(source: ModelSource) -> LoadedModel:
    entry = read_zoo_config(source.path)
    model = build_zoo_model(entry)
    model.config.architectures = [entry["architecture"]]
    extras = {k: entry[k] for k in ("bos_token_id", "eos_token_ids", "task") if k in entry}
    return LoadedModel(model=model, config=model.config, tokenizer_json=source.tokenizer, extras=extras)


def _tokenizer_file_in(directory: str) -> Optional[str]:
    path = os.path.join(directory, "tokenizer.json")
    return path if os.path.isfile(path) else None


def _generation_extras(directory: str) -> dict:
    path = os.path.join(directory, "generation_config.json")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        gen = json.load(f)
    extras = {}
    if gen.get("bos_token_id") is not None:
        extras["bos_token_id"] = gen["bos_token_id"]
    eos = gen.get("eos_token_id")
    if eos is not None:
        extras["eos_token_ids"] = eos if isinstance(eos, list) else [eos]
    return extras


@_loader("checkpoint")
def _load_checkpoint(source: ModelSource) -> LoadedModel:
    import transformers

    directory = source.path
    if os.path.isfile(directory):
        directory = os.path.dirname(directory)
    if not os.path.isfile(os.path.join(directory, "config.json")):
        raise ExportError(f"checkpoint {source.label or directory} has no config.json; point `checkpoint` at a Hugging Face model directory")
    config = transformers.AutoConfig.from_pretrained(directory, local_files_only=True)
    return LoadedModel(
        model=None,  # the task picks the AutoModel class and loads the weights
        config=config,
        tokenizer_json=_tokenizer_file_in(directory),
        extras={"checkpoint_dir": directory, **_generation_extras(directory)},
    )


@_loader("gguf")
def _load_gguf(source: ModelSource) -> LoadedModel:
    import transformers

    if not os.path.isfile(source.path) or not source.path.endswith(".gguf"):
        raise ExportError(f"gguf source {source.label or source.path} is not a .gguf file")
    directory, name = os.path.split(source.path)
    config = transformers.AutoConfig.from_pretrained(directory or ".", gguf_file=name, local_files_only=True)
    # GGUF files hold language models; their configs name no architecture to infer a task from
    return LoadedModel(model=None, config=config, extras={"gguf_dir": directory or ".", "gguf_file": name, "task": "text-generation"})


@_loader("module")
def _load_module(source: ModelSource) -> LoadedModel:
    module_name, _, factory_name = source.path.partition(":")
    if not module_name or not factory_name:
        raise ExportError(f"module factory {source.path!r} must look like \"package.module:function\"")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # noqa: BLE001 - any import failure is the user's to fix
        raise ExportError(f"cannot import {module_name} for factory {source.path}: {type(e).__name__}: {e}") from e
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise ExportError(f"{module_name} has no function {factory_name!r}; set `factory` to a function returning (torch.nn.Module, example_inputs)")
    try:
        result = factory()
    except Exception as e:  # noqa: BLE001
        raise ExportError(f"factory {source.path} raised {type(e).__name__}: {e}") from e
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], torch.nn.Module)):
        raise ExportError(f"factory {source.path} must return (torch.nn.Module, example_inputs), got {type(result).__name__}")
    model, example_inputs = result
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    return LoadedModel(model=model.eval(), example_inputs=tuple(example_inputs))


@contextlib.contextmanager
def gguf_read_once():
    """Within the context each GGUF file is parsed once: transformers parses the whole file
    (metadata, tokenizer vocabulary and merges included, ~3 s for SmolLM2) for the config, twice
    for the weights and once more for the tokenizer. The parsed reader is only read from."""
    try:
        import gguf
    except ImportError:  # no GGUF support installed: nothing to share
        yield
        return
    read = gguf.GGUFReader
    readers = {}

    def reader(path, *args, **kwargs):
        real = os.path.realpath(path)
        key = (real, os.stat(real).st_mtime_ns, args, tuple(sorted(kwargs.items())))
        if key not in readers:
            readers[key] = read(path, *args, **kwargs)
        return readers[key]

    gguf.GGUFReader = reader
    try:
        yield
    finally:
        gguf.GGUFReader = read


def hf_tokenizer(loaded: LoadedModel):
    """The source's transformers tokenizer (checkpoint directory or GGUF file), or None. Loaded
    once per export: GGUF tokenizers are rebuilt from the file's metadata, which takes seconds."""
    if "hf_tokenizer" not in loaded.extras:
        import transformers

        tokenizer = None
        if "gguf_file" in loaded.extras:
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                loaded.extras["gguf_dir"], gguf_file=loaded.extras["gguf_file"], local_files_only=True)
        elif "checkpoint_dir" in loaded.extras and _tokenizer_file_in(loaded.extras["checkpoint_dir"]):
            tokenizer = transformers.AutoTokenizer.from_pretrained(loaded.extras["checkpoint_dir"], local_files_only=True)
        loaded.extras["hf_tokenizer"] = tokenizer
    return loaded.extras["hf_tokenizer"]


def load_pretrained(loaded: LoadedModel, auto_class) -> torch.nn.Module:
    """Weights for checkpoint and GGUF sources, through the task's AutoModel class."""
    if loaded.model is not None:
        return loaded.model
    kwargs = {"local_files_only": True}
    if "gguf_file" in loaded.extras:
        path, kwargs["gguf_file"] = loaded.extras["gguf_dir"], loaded.extras["gguf_file"]
    else:
        path = loaded.extras["checkpoint_dir"]
    try:
        model = auto_class.from_pretrained(path, torch_dtype=torch.float32, **kwargs)
    except (OSError, ValueError) as e:
        raise ExportError(f"cannot load weights from {path}: {str(e).splitlines()[0]}") from e
    loaded.model = model.eval()
    return loaded.model
