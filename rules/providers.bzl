"""Providers of rules_executorch."""

ExecuTorchModelInfo = provider(
    doc = "An exported ExecuTorch program and what describes it.",
    fields = {
        "pte": "File: the ExecuTorch program (.pte).",
        "manifest": "File: JSON manifest: export settings, each method's inputs/outputs (dtype, shape) and planned memory, constant-method metadata, operator list, delegates, .pte size and sha256, library versions.",
        "tokenizer": "File or None: the model's tokenizer.json (text models whose source has one).",
        "data": "File or None: the program's data file (.ptd, with `data_file`): the tied embedding/output table, stored once. Load it with the .pte (runners take the .pte's sibling `<name>.ptd`).",
        "reference": "File: eager reference (.npz) recorded at export time: inputs/outputs, or for text generation a prompt, its greedy tokens and first logits. Used by executorch_model_test.",
        "task": "string: the task the program was exported for, or \"\" when the exporter infers it.",
        "recipe": "string: the lowering recipe (portable, xnnpack, ...).",
        "label": "Label: the executorch_model target.",
    },
)

ZooModelInfo = provider(
    doc = "A model of the zoo: a seeded random-weight config (and tokenizer) the exporter knows how to build.",
    fields = {
        "config": "File: the zoo config (.json).",
        "tokenizer": "File or None: tokenizer.json that goes with the model.",
        "task": "string: the task the model is for.",
    },
)
