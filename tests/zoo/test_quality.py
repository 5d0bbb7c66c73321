"""Quantization is measured, not assumed: each quantized program of a model against its fp32
program on a fixed text, scored by the C++ runner (perplexity, teacher-forced top-1 agreement).

Programs come from the PROGRAMS environment variable: "fp32_path:quantized_path[,...]" (paths
without .pte), so the same test runs on the tiny zoo (always) and on SmolLM2 (tag large)."""
import os

import pytest

from bench import quality

# 8da4w's goal is a perplexity at most 1.15x fp32's; agreement keeps a broken kernel or scale
# from hiding behind a flat (random-weight) distribution.
MAX_PERPLEXITY_RATIO = float(os.environ.get("MAX_PERPLEXITY_RATIO", "1.15"))
MIN_TOP1_AGREEMENT = float(os.environ.get("MIN_TOP1_AGREEMENT", "0.8"))

PAIRS = [pair.split(":") for pair in os.environ.get("PROGRAMS", "").split(",") if pair]


@pytest.mark.parametrize("reference,candidate", PAIRS, ids=[c for _, c in PAIRS])
def test_quantized_program_stays_close_to_fp32(reference, candidate):
    ref = quality.score(reference)
    result = quality.compare(ref, quality.score(candidate))
    print(f"{candidate}: fp32 perplexity {ref['perplexity']:.3f}, quantized {result['perplexity']:.3f} "
          f"(x{result['perplexity_ratio']:.3f}), top-1 agreement {result['top1_agreement']:.3f} over {ref['scored_tokens']} tokens")
    assert result["perplexity_ratio"] <= MAX_PERPLEXITY_RATIO
    assert result["top1_agreement"] >= MIN_TOP1_AGREEMENT


def test_scoring_sees_a_difference():
    """The comparison is not blind: a program scored against itself agrees fully, and a
    different model (same tokenizer) does not."""
    reference = PAIRS[0][0]
    ref = quality.score(reference)
    assert quality.compare(ref, ref)["top1_agreement"] == 1.0
    other = os.environ.get("OTHER_PROGRAM")
    if other:
        agreement = quality.compare(ref, quality.score(other))["top1_agreement"]
        print(f"{other} vs {reference}: top-1 agreement {agreement:.3f}")
        assert agreement < MIN_TOP1_AGREEMENT
