"""module: a user's own torch.nn.Module from a factory returning (module, example_inputs).

The program's forward takes exactly the example inputs; shapes are static.
"""
from zoo.errors import ExportError
from zoo.registry import TASKS
from zoo.tasks import ExportPlan, eager_outputs


@TASKS.register("module")
class Module:
    architecture_suffixes = ()

    @staticmethod
    def load(loaded, settings):
        if loaded.model is None or loaded.example_inputs is None:
            raise ExportError("task 'module' needs a `module` source (a factory returning (torch.nn.Module, example_inputs))")
        return loaded.model

    @staticmethod
    def reference(model, loaded, settings, plan, tokenizer_json):
        return eager_outputs(plan)

    @staticmethod
    def plan(model, loaded, settings) -> ExportPlan:
        return ExportPlan(module=model, example_args=loaded.example_inputs)
