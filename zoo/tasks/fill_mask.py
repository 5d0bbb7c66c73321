"""fill-mask: encoder models with a masked-LM head (BERT family).

forward(input_ids[1, n], attention_mask[1, n]) -> logits[1, n, vocab].
"""
import torch

from zoo import sources
from zoo.registry import TASKS
from zoo.tasks import ExportPlan, eager_outputs, encoder_plan


class _MaskedLM(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


@TASKS.register("fill-mask")
class FillMask:
    architecture_suffixes = ("ForMaskedLM",)

    @staticmethod
    def load(loaded, settings):
        import transformers

        return sources.load_pretrained(loaded, transformers.AutoModelForMaskedLM)

    @staticmethod
    def reference(model, loaded, settings, plan, tokenizer_json):
        return eager_outputs(plan)

    @staticmethod
    def plan(model, loaded, settings) -> ExportPlan:
        return encoder_plan(model, settings, _MaskedLM(model), {"get_vocab_size": int(model.config.vocab_size)})
