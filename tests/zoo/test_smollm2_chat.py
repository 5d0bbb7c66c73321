"""SmolLM2-135M-Instruct through //zoo:smollm2_chat: a real model answers a real question."""
import json
import subprocess

RUNNER = "zoo/smollm2_chat"


def _chat(prompt, *flags):
    out = subprocess.run([RUNNER, "--chat", "--prompt", prompt, "--max_new_tokens", "48", "--json", *flags],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_knows_the_capital_of_france():
    result = _chat("What is the capital of France?")
    print(result["text"], result["stats"])
    assert "Paris" in result["text"]


def test_chat_template_is_applied():
    """With --chat the prompt is wrapped in the template's turn (system prompt, special tokens)."""
    with_template = _chat("Hi")
    plain = json.loads(subprocess.run([RUNNER, "--prompt", "Hi", "--max_new_tokens", "1", "--json"], capture_output=True,
                                      text=True, check=True).stdout)
    assert len(with_template["prompt_tokens"]) > len(plain["prompt_tokens"]) + 3
