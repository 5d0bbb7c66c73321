"""Where a decode step's time goes, per operator kind, for text-generation programs measured
side by side: each program's steps are interleaved with the others' in one process (this
machine's speed drifts between processes and minutes), profiled by the ExecuTorch runtime
itself (ETDump: portable kernels per call, XNNPACK per operator inside each delegate call,
and each delegate call as a whole). The programs take turns in blocks of steps, and the first
steps of each block are not counted, so each program runs with its own weights in the caches
as it would alone (step by step interleaving would have them evict each other's). The first
program is the anchor the others are compared with.

    bazel run //bench:decode_profile -- --ptes zoo/smollm2_135m_8da4w_pte.pte,/path/to/optimum/model.pte

Profiling adds its own cost to every event the runtime records (each portable kernel and
delegate call; XNNPACK's operators are timed by XNNPACK), so a program with many such calls is
slowed far more than one with few: read the rows within a column, not the columns as the
programs' speed (bench:smollm2_decode measures that). "delegate call overhead" is the time of
the delegate calls not covered by their operators: XNNPACK's per-call setup and reshaping, the
wait for its thread pool, and operators too short for the profiler's microsecond ticks."""
import argparse
import collections
import os
import sys
import tempfile

ROWS = 18


def _load_kernels():
    import executorch.kernels.quantized  # noqa: F401  (quantized_decomposed kernels)

    try:  # the custom LLM operators of optimum-cli's programs, where the wheel has them
        import executorch.extension.llm.custom_ops.custom_ops  # noqa: F401
    except Exception:  # noqa: BLE001 - programs without custom operators need none
        pass


def _kind(name: str) -> str:
    """An XNNPACK operator's kind without its index ("Softmax (NC, F32) #2" -> "Softmax (NC, F32)")."""
    return name.rsplit(" #", 1)[0] if " #" in name else name


def profile(path: str, measured) -> dict:
    """{kind: microseconds per step} over the runs of an ETDump file whose indices are in `measured`."""
    from executorch.devtools.etdump.serialize import deserialize_from_etdump_flatcc

    with open(path, "rb") as f:
        runs = [run for i, run in enumerate(deserialize_from_etdump_flatcc(f.read()).run_data) if i in measured]
    totals = collections.Counter()
    for run in runs:
        for event in run.events:
            timing = event.profile_event
            if timing is None:
                continue
            name = timing.name or timing.delegate_debug_id_str or str(timing.delegate_debug_id_int)
            micros = (timing.end_time - timing.start_time) / 1000
            if name == "DELEGATE_CALL":
                totals["delegate calls"] += micros
                totals["delegate call overhead"] += micros
            elif name == "Method::execute":
                totals["step"] += micros
            elif name != "OPERATOR_CALL":  # the portable call's kernel is listed by name
                totals[_kind(name)] += micros
                if not name.startswith("native_call_") and "::" not in name:
                    totals["delegate call overhead"] -= micros  # an operator inside a delegate call
        totals["delegate call count"] += sum(1 for e in run.events if e.profile_event and e.profile_event.name == "DELEGATE_CALL")
    return {kind: value / len(runs) for kind, value in totals.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ptes", required=True, help="comma-separated .pte files; the first is the anchor")
    p.add_argument("--prompt_len", type=int, default=100, help="positions filled before the measured steps")
    p.add_argument("--steps", type=int, default=20, help="decode steps measured per program and block")
    p.add_argument("--warmup", type=int, default=5, help="steps at the start of each block not measured")
    p.add_argument("--rounds", type=int, default=3, help="blocks per program")
    args = p.parse_args(argv)

    import torch

    _load_kernels()
    from executorch.extension.pybindings import portable_lib

    paths = args.ptes.split(",")
    modules = []
    for path in paths:
        if not os.path.isfile(path):
            sys.exit(f"decode_profile: {path} is not a file; build it first or pass its path")
        try:
            modules.append(portable_lib._load_for_executorch(path, enable_etdump=True, debug_buffer_size=0))
            for position in range(args.prompt_len):  # token by token: static-shape programs too
                modules[-1].forward((torch.tensor([[position + 1]]), torch.tensor([position])))
        except Exception as e:  # noqa: BLE001 - the runtime raises RuntimeError or ValueError
            sys.exit(f"decode_profile: {path} is not a text-generation program that runs here "
                     f"(forward(input_ids, cache_position)): {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    block = args.warmup + args.steps
    for _ in range(args.rounds):
        for module in modules:
            for position in range(args.prompt_len, args.prompt_len + block):
                module.forward((torch.tensor([[5]]), torch.tensor([position])))
    # the first prompt_len runs are the prompt; each block's first `warmup` runs are left out
    measured = {args.prompt_len + r * block + args.warmup + i for r in range(args.rounds) for i in range(args.steps)}
    profiles = []
    with tempfile.TemporaryDirectory() as directory:
        for i, module in enumerate(modules):
            dump = os.path.join(directory, f"{i}.etdump")
            module.write_etdump_result_to_file(dump)
            profiles.append(profile(dump, measured))

    anchor = profiles[0]
    kinds = sorted(set().union(*profiles), key=lambda k: -max(p.get(k, 0) for p in profiles))
    head = ["step", "delegate calls", "delegate call count", "delegate call overhead"]
    kinds = head + [k for k in kinds if k not in head][:ROWS]
    print(f"decode steps at positions {args.prompt_len + args.warmup}..{args.prompt_len + block - 1}, "
          f"microseconds per step (ETDump), {args.rounds} blocks each; ratio against {paths[0]}")
    print(f"{'':44}" + "".join(f"{os.path.basename(path)[:22]:>24}" for path in paths))
    for kind in kinds:
        cells = []
        for p in profiles:
            value = p.get(kind, 0.0)
            ratio = f" ({value / anchor[kind]:.2f})" if anchor.get(kind) and p is not anchor else ""
            cells.append(f"{value:10.1f}{ratio:>8}" if kind != "delegate call count" else f"{value:10.0f}{ratio:>8}")
        print(f"{kind[:44]:44}" + "".join(f"{c:>24}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
