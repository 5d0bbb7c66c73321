"""fill-mask: encoder models with a masked-LM head (BERT family).

forward(input_ids[1, n], attention_mask[1, n]) -> logits[1, n, vocab].
"""
import torch

from zoo import sources
from zoo.registry import TASKS
from zoo.tasks import ExportPlan, eager_outputs


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
        max_len = min(settings.max_seq_len, getattr(model.config, "max_position_embeddings", settings.max_seq_len))
        n = min(8, max_len)
        ids = torch.arange(n, dtype=torch.long).remainder(model.config.vocab_size).unsqueeze(0)
        example = (ids, torch.ones((1, n), dtype=torch.long))
        dynamic = None
        if settings.dynamic_shapes:
            seq = torch.export.Dim("seq_len", min=2, max=max_len)
            dynamic = ({1: seq}, {1: seq})
        else:
            example = (torch.ones((1, max_len), dtype=torch.long), torch.ones((1, max_len), dtype=torch.long))
        return ExportPlan(
            module=_MaskedLM(model),
            example_args=example,
            dynamic_shapes=dynamic,
            constant_methods={"get_max_seq_len": max_len, "get_vocab_size": int(model.config.vocab_size)},
        )
