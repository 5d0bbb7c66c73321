"""Every zoo LLM: the .pte's greedy tokens equal HF eager greedy tokens on the same prompt,
prefill logits within 1e-4 (fp32), and ExecuTorch's own TextLLMRunner gives the same tokens."""
import pytest
import torch
from tokenizers import Tokenizer

from tests.zoo.helpers import LoadedProgram, load_manifest, pte_greedy, runfile
from zoo.sources import build_zoo_model, read_zoo_config
from zoo.tasks.text_generation import eager_greedy

PROMPT = "Once upon a time"
STEPS = 12
RUNNER_PROMPTS = [PROMPT, "The robot", "The lamp glowed", "Children from the village", "In the winter"]
MODELS = ["llama", "qwen3", "gemma3", "gpt2", "phi3"]


def _prompt_ids(stem, manifest):
    tok = Tokenizer.from_file(runfile(stem + ".tokenizer.json"))
    bos = manifest["metadata"]["get_bos_id"]
    return ([bos] if bos >= 0 else []) + tok.encode(PROMPT).ids


@pytest.mark.parametrize("name", MODELS)
def test_greedy_tokens_and_logits_match_eager(name):
    stem = f"zoo/{name}_pte"
    manifest = load_manifest(stem)
    prompt = _prompt_ids(stem, manifest)
    model = build_zoo_model(read_zoo_config(runfile(f"zoo/configs/{name}.json")))
    expected_tokens, expected_logits = eager_greedy(model, prompt, STEPS)

    program = LoadedProgram(stem + ".pte")
    tokens, logits = pte_greedy(program, prompt, STEPS, manifest["metadata"]["enable_dynamic_shape"])
    diff = (logits - expected_logits).abs().max().item()
    assert diff <= 1e-4, f"{name}: prefill logits differ from eager by {diff}"
    assert tokens == expected_tokens


@pytest.mark.parametrize("name", MODELS)
def test_executorch_text_llm_runner_gives_the_same_tokens(name):
    from executorch.extension.llm.runner import GenerationConfig, TextLLMRunner

    stem = f"zoo/{name}_pte"
    manifest = load_manifest(stem)
    model = build_zoo_model(read_zoo_config(runfile(f"zoo/configs/{name}.json")))
    tok = Tokenizer.from_file(runfile(stem + ".tokenizer.json"))
    eos = set(manifest["metadata"]["get_eos_ids"])
    # TextLLMRunner takes the BOS id from the tokenizer, and a bare tokenizer.json (no
    # tokenizer_config.json) names none, so it prepends nothing. Its Python binding hands each
    # generated piece to the callback as a str, so a token that is a partial UTF-8 sequence
    # raises inside generate(): compare the longest prefix of whole-character tokens, on the
    # first prompt whose greedy continuation has at least 3 of them (random weights emit byte
    # tokens now and then).
    for prompt_text in RUNNER_PROMPTS:
        expected_tokens, _ = eager_greedy(model, tok.encode(prompt_text).ids, STEPS)
        steps = 0
        for token in expected_tokens:
            if token in eos or "\ufffd" in tok.decode([token]):
                break
            steps += 1
        if steps >= 3:
            break
    else:
        pytest.fail(f"{name}: no prompt in RUNNER_PROMPTS gives 3 whole-character tokens; add one")

    runner = TextLLMRunner(runfile(stem + ".pte"), runfile(stem + ".tokenizer.json"))
    pieces = []
    config = GenerationConfig(echo=False, max_new_tokens=steps, temperature=0.0)
    runner.generate(prompt_text, config, pieces.append)
    assert "".join(pieces) == tok.decode(expected_tokens[:steps])


@pytest.mark.parametrize("name", ["llama", "gemma3"])
def test_wrapper_matches_eager_and_leaves_other_models_of_the_family_alone(name):
    """StaticCacheLM (own cache, rotate_half as a matmul) step by step equals eager on the whole
    sequence; a model of the same family with another rotary size, not wrapped, still runs."""
    from zoo.static_cache import StaticCacheLM

    config = read_zoo_config(runfile(f"zoo/configs/{name}.json"))
    model = build_zoo_model(config)
    ids = torch.randint(0, model.config.vocab_size, (1, 10), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = model(ids).logits[0, 3:]
        wrapper = StaticCacheLM(model, 16).eval()
        steps = [wrapper(ids[:, :4], torch.arange(4))[0, -1]]
        steps += [wrapper(ids[:, i:i + 1], torch.tensor([i]))[0, -1] for i in range(4, 10)]
    assert (torch.stack(steps) - want).abs().max() < 1e-4

    other = dict(config, config=dict(config["config"], head_dim=2 * model.config.head_dim))
    with torch.no_grad():
        assert build_zoo_model(other)(ids).logits.isfinite().all()


def test_a_gguf_file_is_parsed_once_within_an_export(tmp_path, monkeypatch):
    """transformers parses a whole GGUF file for the config, twice for the weights and again for
    the tokenizer, each time importing the reader at the call; within sources.gguf_read_once
    the file is parsed once, and the reader is put back after."""
    import inspect

    import gguf
    import numpy as np
    from transformers import modeling_gguf_pytorch_utils

    from zoo import sources

    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_uint32("llama.block_count", 1)
    writer.add_tensor("token_embd.weight", np.ones((4, 2), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    parsed = []

    class Counting(gguf.GGUFReader):
        def __init__(self, *args, **kwargs):
            parsed.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(gguf, "GGUFReader", Counting)
    assert "from gguf import GGUFReader" in inspect.getsource(modeling_gguf_pytorch_utils.load_gguf_checkpoint)
    with sources.gguf_read_once():
        from gguf import GGUFReader

        first, again = GGUFReader(str(path)), GGUFReader(str(tmp_path / "." / "tiny.gguf"))
    assert first is again and len(parsed) == 1
    assert [t.name for t in first.tensors] == ["token_embd.weight"]
    assert gguf.GGUFReader is Counting
