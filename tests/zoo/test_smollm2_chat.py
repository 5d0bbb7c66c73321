"""SmolLM2-135M-Instruct through //zoo:smollm2_chat: a real model answers a real question."""
import json
import subprocess

RUNNER = "zoo/smollm2_chat"


def _chat(prompt, *flags):
    out = subprocess.run([RUNNER, "--prompt", prompt, "--max_new_tokens", "48", "--json", *flags],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_knows_the_capital_of_france():
    """The command the README starts with: the runner chats by default (built with --chat)."""
    result = _chat("What is the capital of France?")
    print(result["text"], result["stats"])
    assert "Paris" in result["text"]


def test_chat_template_is_applied():
    """By default (and with --chat) the prompt is wrapped in the template's turn (system prompt,
    special tokens); --chat=false on the command line overrides the built-in flag."""
    with_template, explicit = _chat("Hi"), _chat("Hi", "--chat")
    plain = _chat("Hi", "--chat=false")
    assert with_template["prompt_tokens"] == explicit["prompt_tokens"]
    assert len(with_template["prompt_tokens"]) > len(plain["prompt_tokens"]) + 3
