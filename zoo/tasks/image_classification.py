"""image-classification: vision encoders with a classification head (ViT family).

forward(pixel_values[1, C, H, W]) -> logits[1, num_labels].
"""
import torch

from zoo import sources
from zoo.registry import TASKS
from zoo.tasks import ExportPlan, eager_outputs


class _ImageClassifier(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model(pixel_values=pixel_values).logits


@TASKS.register("image-classification")
class ImageClassification:
    architecture_suffixes = ("ForImageClassification",)

    @staticmethod
    def load(loaded, settings):
        import transformers

        return sources.load_pretrained(loaded, transformers.AutoModelForImageClassification)

    @staticmethod
    def reference(model, loaded, settings, plan, tokenizer_json):
        return eager_outputs(plan)

    @staticmethod
    def plan(model, loaded, settings) -> ExportPlan:
        config = model.config
        size = config.image_size
        generator = torch.Generator().manual_seed(0)
        example = (torch.rand((1, config.num_channels, size, size), generator=generator),)
        return ExportPlan(
            module=_ImageClassifier(model),
            example_args=example,
            constant_methods={"get_image_size": int(size), "get_num_labels": int(config.num_labels)},
        )
