"""executorch_model: export a model to an ExecuTorch program as a build action."""

load("//rules:providers.bzl", "ExecuTorchModelInfo", "ZooModelInfo")
load(":choices.bzl", "DTYPES", "QEMBEDDING", "QLINEAR", "QLINEAR_REFUSED", "RECIPES", "TASKS", "check_choice")
load(":python.bzl", "PY_TOOLCHAIN", "run_python")

_SOURCE_ATTRS = ["model", "checkpoint", "gguf", "module"]

def _checkpoint_dir(ctx):
    # the shallowest config.json is the model's (sentence-transformers add e.g. 1_Pooling/config.json)
    best = None
    for f in ctx.files.checkpoint:
        if f.basename == "config.json" and (best == None or len(f.path) < len(best.path)):
            best = f
    if best:
        return best.dirname
    fail("{}: checkpoint {} has no config.json; point it at a Hugging Face model directory (config.json, *.safetensors, tokenizer files)".format(
        ctx.label,
        ctx.attr.checkpoint.label,
    ))

def _executorch_model_impl(ctx):
    given = [a for a in _SOURCE_ATTRS if getattr(ctx.attr, a)]
    if len(given) != 1:
        fail("{}: set exactly one of {} (got {})".format(ctx.label, ", ".join(_SOURCE_ATTRS), ", ".join(given) or "none"))
    check_choice(ctx.label, "task", ctx.attr.task, TASKS)
    check_choice(ctx.label, "recipe", ctx.attr.recipe, RECIPES)
    check_choice(ctx.label, "qlinear", ctx.attr.qlinear, QLINEAR, QLINEAR_REFUSED)
    check_choice(ctx.label, "qembedding", ctx.attr.qembedding, QEMBEDDING)
    check_choice(ctx.label, "qoutput", ctx.attr.qoutput, QLINEAR, QLINEAR_REFUSED)
    check_choice(ctx.label, "dtype", ctx.attr.dtype, DTYPES)
    if ctx.attr.factory and not ctx.attr.module:
        fail("{}: factory is only used with module".format(ctx.label))
    if ctx.attr.max_seq_len < 2:
        fail("{}: max_seq_len must be at least 2, got {}".format(ctx.label, ctx.attr.max_seq_len))

    args = ctx.actions.args()
    inputs = []
    libraries = [ctx.attr._exporter]
    task = ctx.attr.task
    has_tokenizer = False
    source = given[0]
    if source == "model":
        zoo = ctx.attr.model[ZooModelInfo]
        args.add("--zoo_config", zoo.config)
        inputs.append(zoo.config)
        if zoo.tokenizer:
            args.add("--tokenizer", zoo.tokenizer)
            inputs.append(zoo.tokenizer)
            has_tokenizer = True
        task = task or zoo.task
        source_label = ctx.attr.model.label
    elif source == "checkpoint":
        args.add("--checkpoint", _checkpoint_dir(ctx))
        inputs += ctx.files.checkpoint
        has_tokenizer = any([f.basename == "tokenizer.json" for f in ctx.files.checkpoint])
        source_label = ctx.attr.checkpoint.label
    elif source == "gguf":
        args.add("--gguf", ctx.file.gguf)
        inputs.append(ctx.file.gguf)
        has_tokenizer = True
        task = task or "text-generation"  # GGUF files hold language models (as the exporter assumes)
        source_label = ctx.attr.gguf.label
    else:
        if not ctx.attr.factory:
            fail("{}: module needs factory = \"package.module:function\" (a function returning (torch.nn.Module, example_inputs))".format(ctx.label))
        args.add("--module", ctx.attr.factory)
        libraries.append(ctx.attr.module)
        inputs += ctx.files.data
        task = task or "module"
        source_label = ctx.attr.module.label

    pte = ctx.actions.declare_file(ctx.label.name + ".pte")
    manifest = ctx.actions.declare_file(ctx.label.name + ".json")
    reference = ctx.actions.declare_file(ctx.label.name + ".reference.npz")
    outputs = [pte, manifest]
    data = None
    if ctx.attr.data_file:
        if ctx.attr.recipe != "xnnpack":
            fail("{}: data_file needs recipe = \"xnnpack\" (the output projection's weight is stored by the delegate)".format(ctx.label))
        data = ctx.actions.declare_file(ctx.label.name + ".ptd")
        outputs.append(data)
        args.add("--data_file", data)
    tokenizer = None
    if has_tokenizer and task in ("", "text-generation", "fill-mask", "feature-extraction"):
        tokenizer = ctx.actions.declare_file(ctx.label.name + ".tokenizer.json")
        outputs.append(tokenizer)
        args.add("--tokenizer_out", tokenizer)

    args.add("--source_label", str(source_label))
    if task:
        args.add("--task", task)
    args.add("--recipe", ctx.attr.recipe)
    if ctx.attr.qlinear:
        args.add("--qlinear", ctx.attr.qlinear)
        args.add("--qlinear_group_size", str(ctx.attr.qlinear_group_size))
    if ctx.attr.qembedding:
        args.add("--qembedding", ctx.attr.qembedding)
    if ctx.attr.qoutput:
        args.add("--qoutput", ctx.attr.qoutput)
    args.add("--dtype", ctx.attr.dtype)
    args.add("--max_seq_len", str(ctx.attr.max_seq_len))
    args.add("--dynamic_shapes", "true" if ctx.attr.dynamic_shapes else "false")
    if not ctx.attr.exact_grid:
        args.add("--exact_grid", "false")
    args.add("--output", pte)
    args.add("--manifest", manifest)
    args.add("--reference", reference)
    args.add("--verbose" if ctx.attr.verbose else "--quiet")

    run_python(
        ctx,
        module = "zoo.export",
        arguments = [args],
        inputs = inputs,
        outputs = outputs + [reference],
        libraries = libraries,
        mnemonic = "ExecuTorchExport",
        progress_message = "Exporting {} to ExecuTorch ({})".format(ctx.label, ctx.attr.recipe),
    )
    return [
        DefaultInfo(files = depset(outputs), runfiles = ctx.runfiles(files = outputs + [reference])),
        ExecuTorchModelInfo(
            pte = pte,
            manifest = manifest,
            tokenizer = tokenizer,
            data = data,
            reference = reference,
            task = task,
            recipe = ctx.attr.recipe,
            label = ctx.label,
        ),
        OutputGroupInfo(pte = depset([pte]), manifest = depset([manifest]), reference = depset([reference]), data = depset([data] if data else [])),
    ]

executorch_model = rule(
    implementation = _executorch_model_impl,
    doc = """Exports a model to an ExecuTorch program (.pte) as a cached, reproducible build action.

Outputs `<name>.pte`, `<name>.json` (manifest), for text models whose source has a tokenizer
`<name>.tokenizer.json`, and with `data_file` `<name>.ptd`. Attribute names follow
`optimum-cli export executorch`.""",
    attrs = {
        "model": attr.label(providers = [ZooModelInfo], doc = "A zoo model, e.g. `@rules_executorch//zoo:llama`."),
        "checkpoint": attr.label(allow_files = True, doc = "A Hugging Face model directory as a filegroup: config.json, *.safetensors, tokenizer files."),
        "gguf": attr.label(allow_single_file = [".gguf"], doc = "A .gguf file (loaded with transformers' GGUF support)."),
        "module": attr.label(providers = [PyInfo], doc = "A py_library holding `factory`."),
        "factory": attr.string(doc = "With `module`: \"package.module:function\" returning (torch.nn.Module, example_inputs)."),
        "data": attr.label_list(allow_files = True, doc = "Extra files the module factory reads."),
        "task": attr.string(doc = "text-generation, feature-extraction, fill-mask, image-classification or module; inferred from the model config when empty (text-generation for gguf)."),
        "recipe": attr.string(default = "xnnpack", doc = "Lowering recipe: portable or xnnpack."),
        "qlinear": attr.string(doc = "Linear-layer quantization: 8da4w or 8da8w (weight-only 4w and 8w are refused: no CPU kernel runs them)."),
        "qlinear_group_size": attr.int(default = 32, doc = "Group size for 8da4w (0: per channel)."),
        "qembedding": attr.string(doc = "Embedding quantization: 4w or 8w."),
        "qoutput": attr.string(doc = "Quantization of the output projection (lm_head), one of the qlinear schemes; default: as qlinear."),
        "dtype": attr.string(default = "float32", doc = "float32, float16 or bfloat16."),
        "max_seq_len": attr.int(default = 128, doc = "KV-cache length (text generation) or longest input (encoders)."),
        "dynamic_shapes": attr.bool(default = True, doc = "Dynamic sequence length: parallel prefill for LLMs, any length up to max_seq_len for encoders."),
        "data_file": attr.bool(default = False, doc = "Store the table of a tied input embedding and output projection (lm_head) once, in `<name>.ptd` (ExecuTorch program-data separation) that runners load next to the .pte. Needs recipe xnnpack and the embedding quantized like the output projection (qembedding 8w with an 8-bit, 4w with a 4-bit output projection, none with a float one)."),
        "exact_grid": attr.bool(default = True, doc = "With a grouped 4-bit qlinear: keep layer weights that already lie on a 4-bit grid of those groups (a GGUF Q4_1 model) exact, at the cost of an 8-bit offsets product per layer (slower decode). False rounds them like any other weights."),
        "verbose": attr.bool(default = False, doc = "Full Python tracebacks in export errors."),
        "_exporter": attr.label(default = Label("//zoo:zoo_lib"), providers = [PyInfo]),
    },
    toolchains = [PY_TOOLCHAIN],
)

def _zoo_model_impl(ctx):
    return [ZooModelInfo(config = ctx.file.config, tokenizer = ctx.file.tokenizer, task = ctx.attr.task)]

zoo_model = rule(
    implementation = _zoo_model_impl,
    doc = "A zoo model: a config the exporter builds with seeded random weights, plus its tokenizer.",
    attrs = {
        "config": attr.label(mandatory = True, allow_single_file = [".json"]),
        "tokenizer": attr.label(allow_single_file = [".json"]),
        "task": attr.string(mandatory = True, values = TASKS),
    },
)

def _zoo_tokenizer_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".json")
    run_python(
        ctx,
        module = "zoo.make_tokenizer",
        arguments = ["--kind", ctx.attr.kind, "--corpus", ctx.file.corpus.path, "--vocab_size", str(ctx.attr.vocab_size), "--output", out.path],
        inputs = [ctx.file.corpus],
        outputs = [out],
        libraries = [ctx.attr._trainer],
        mnemonic = "TrainTokenizer",
        progress_message = "Training tokenizer {}".format(ctx.label),
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

zoo_tokenizer = rule(
    implementation = _zoo_tokenizer_impl,
    doc = "A small tokenizer (BPE or WordPiece) trained reproducibly on a text kept in the repo.",
    attrs = {
        "kind": attr.string(mandatory = True, values = ["bytelevel", "bytefallback", "wordpiece"]),
        "corpus": attr.label(mandatory = True, allow_single_file = True),
        "vocab_size": attr.int(default = 512),
        "_trainer": attr.label(default = Label("//zoo:tokenizer_lib"), providers = [PyInfo]),
    },
    toolchains = [PY_TOOLCHAIN],
)
