"""text-generation: decoder-only causal LMs with a static (or hybrid sliding-window) KV cache.

The program follows ExecuTorch's LLM calling convention: forward(input_ids[1, n],
cache_position[n]) -> logits[1, 1, vocab] (the last position's, as ExecuTorch's own LLM exports
do), plus the constant methods TextLLMRunner reads. Attention and the KV cache are ours
(zoo/static_cache.py), formulated to be fast with the runtime's kernels.
"""
import torch

from zoo import sources
from zoo.errors import ExportError
from zoo.registry import TASKS
from zoo.static_cache import StaticCacheLM
from zoo.tasks import ExportPlan


@TASKS.register("text-generation")
class TextGeneration:
    architecture_suffixes = ("ForCausalLM", "LMHeadModel")

    @staticmethod
    def load(loaded, settings):
        import transformers

        model = sources.load_pretrained(loaded, transformers.AutoModelForCausalLM)
        if getattr(model.config, "use_cache", True) is False:
            model.config.use_cache = True
        return model

    @staticmethod
    def reference(model, loaded, settings, plan, tokenizer_json):
        return reference(model, loaded, settings, plan, tokenizer_json)

    @staticmethod
    def plan(model, loaded, settings) -> ExportPlan:
        config = model.config.get_text_config()
        max_seq_len = settings.max_seq_len
        limit = getattr(config, "max_position_embeddings", None)
        if limit is not None and max_seq_len > limit:
            raise ExportError(f"max_seq_len {max_seq_len} exceeds the model's max_position_embeddings {limit}; lower max_seq_len")
        if max_seq_len < 2:
            raise ExportError(f"max_seq_len must be at least 2, got {max_seq_len}")
        wrapper = StaticCacheLM(model, max_seq_len).eval()

        if settings.dynamic_shapes:
            n = min(4, max_seq_len - 1)
            seq = torch.export.Dim("seq_len", min=1, max=max_seq_len - 1)
            dynamic = {"input_ids": {1: seq}, "cache_position": {0: seq}}
        else:
            n, dynamic = 1, None
        example = {
            "input_ids": torch.zeros((1, n), dtype=torch.long),
            "cache_position": torch.arange(n, dtype=torch.long),
        }
        bos, eos = _special_ids(model, loaded)
        return ExportPlan(
            module=wrapper,
            example_kwargs=example,
            dynamic_shapes=dynamic,
            constant_methods={
                "get_max_seq_len": max_seq_len,
                "get_max_context_len": max_seq_len,
                "get_vocab_size": int(config.vocab_size),
                "get_bos_id": bos,
                "get_eos_ids": eos,
                "use_kv_cache": True,
                "enable_dynamic_shape": bool(settings.dynamic_shapes),
                "use_sdpa_with_kv_cache": False,
            },
            initialized_buffers=wrapper.cache_buffer_names(),
            manifest={"chat": chat_template(loaded)},
        )


REFERENCE_PROMPT = "Once upon a time"
REFERENCE_STEPS = 16


def eager_greedy(model, prompt_ids, steps, eos=()):
    """Greedy continuation by the eager model, recomputing the whole sequence each step (no
    KV cache). Returns the new tokens (stopping after an `eos` token) and the logits of the
    prompt positions [len(prompt_ids), vocab]."""
    ids, prompt_logits = list(prompt_ids), None
    with torch.no_grad():
        for _ in range(steps):
            logits = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0].float()
            if prompt_logits is None:
                prompt_logits = logits
            ids.append(int(logits[-1].argmax()))
            if ids[-1] in eos:
                break
    return ids[len(prompt_ids):], prompt_logits


def reference(model, loaded, settings, plan, tokenizer_json):
    """Eager greedy continuation of a fixed prompt and the logits after the prompt, for
    checking runners later."""
    import numpy as np

    bos = plan.constant_methods["get_bos_id"]
    if tokenizer_json:
        from tokenizers import Tokenizer

        prompt = Tokenizer.from_str(tokenizer_json.decode("utf-8")).encode(REFERENCE_PROMPT).ids
    else:
        prompt = list(range(3, 8))
    prompt = ([bos] if bos >= 0 else []) + prompt
    steps = min(REFERENCE_STEPS, settings.max_seq_len - len(prompt))
    tokens, prompt_logits = eager_greedy(model, prompt, steps, set(plan.constant_methods["get_eos_ids"]))
    return {
        "prompt_ids": np.array(prompt, dtype=np.int64),
        "tokens": np.array(tokens, dtype=np.int64),
        "logits": prompt_logits[-1].numpy(),
    }


CHAT_MARKER = "\u0000message\u0000"


def chat_template(loaded):
    """The model's chat template rendered for one user turn (with the generation prompt), as the
    text before and after the user's message; None when the source has no chat template. Runners
    apply it with --chat, so no template engine is needed at run time."""
    tokenizer = sources.hf_tokenizer(loaded)
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        return None
    try:
        text = tokenizer.apply_chat_template([{"role": "user", "content": CHAT_MARKER}], tokenize=False, add_generation_prompt=True)
    except Exception as e:  # noqa: BLE001 - templates are user-supplied Jinja
        raise ExportError(f"the model's chat template cannot be rendered: {type(e).__name__}: {e}") from e
    if text.count(CHAT_MARKER) != 1:
        raise ExportError("the model's chat template does not place the user message exactly once; it cannot be split into a prefix and a suffix")
    prefix, suffix = text.split(CHAT_MARKER)
    return {"prefix": prefix, "suffix": suffix}


def _special_ids(model, loaded):
    """bos id and eos ids: the source's own word first, then the model config's."""
    extras = loaded.extras
    config = model.config
    bos = extras.get("bos_token_id", getattr(config, "bos_token_id", None))
    eos = extras.get("eos_token_ids", getattr(config, "eos_token_id", None))
    if isinstance(eos, int):
        eos = [eos]
    if bos is None:
        bos = -1  # no BOS token; runners must not prepend one
    if not eos:
        raise ExportError("the model names no eos token (eos_token_id); add it to its config or generation_config.json")
    return int(bos), [int(e) for e in eos]
