"""Encoder and vision programs: outputs within 1e-4 of eager on the same inputs, at several
sequence lengths for the dynamic-shape encoder."""
import pytest
import torch

from tests.zoo.helpers import LoadedProgram, load_manifest, runfile
from zoo.sources import build_zoo_model, read_zoo_config


@pytest.mark.parametrize("length", [2, 7, 32])
def test_fill_mask_matches_eager(length):
    model = build_zoo_model(read_zoo_config(runfile("zoo/configs/bert.json")))
    program = LoadedProgram("zoo/bert_pte.pte")
    generator = torch.Generator().manual_seed(length)
    ids = torch.randint(3, model.config.vocab_size, (1, length), generator=generator)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=mask).logits
    got = program.run([ids, mask])[0]
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() <= 1e-4


def test_image_classification_matches_eager():
    manifest = load_manifest("zoo/vit_pte")
    model = build_zoo_model(read_zoo_config(runfile("zoo/configs/vit.json")))
    program = LoadedProgram("zoo/vit_pte.pte")
    shape = manifest["methods"]["forward"]["inputs"][0]["shape"]
    pixels = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model(pixel_values=pixels).logits
    got = program.run([pixels])[0]
    assert (got - expected).abs().max().item() <= 1e-4
    assert manifest["metadata"]["get_num_labels"] == expected.shape[-1]
