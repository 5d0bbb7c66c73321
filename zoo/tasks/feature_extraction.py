"""feature-extraction: sentence embeddings from encoder models (sentence-transformers style).

forward(input_ids[1, n], attention_mask[1, n]) -> embedding[1, hidden]: the encoder's last hidden
states, mean-pooled over the unmasked tokens and L2-normalised, all inside the program, so a
runner only tokenizes and reads one vector.
"""
import torch

from zoo import sources
from zoo.registry import TASKS
from zoo.tasks import ExportPlan, eager_outputs, encoder_plan


class SentenceEmbedding(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2.0, dim=-1)


@TASKS.register("feature-extraction")
class FeatureExtraction:
    # bare encoders (BertModel, ...); longer suffixes of other tasks win over this one
    architecture_suffixes = ("Model",)

    @staticmethod
    def load(loaded, settings):
        import transformers

        return sources.load_pretrained(loaded, transformers.AutoModel)

    @staticmethod
    def reference(model, loaded, settings, plan, tokenizer_json):
        return eager_outputs(plan)

    @staticmethod
    def plan(model, loaded, settings) -> ExportPlan:
        return encoder_plan(model, settings, SentenceEmbedding(model), {"get_hidden_size": int(model.config.hidden_size)})
