"""The xnnpack recipe leaves out re-traces that cannot change a graph (XNNPACK preprocessing and
edge-dialect passes with nothing to rewrite, decompositions with nothing to decompose); the
program must come out byte for byte as XNNPACK's own lowering makes it."""
import contextlib

import pytest
import torch

from zoo.recipes import xnnpack


class EveryRewrite(torch.nn.Module):
    """Operators each of the skippable passes rewrites: 1-D convolution, batch norms after a
    convolution and alone, fused activations, PReLU, max pooling, bilinear upsampling, a
    concatenation of more than five tensors, a maximum along a dimension, attention with a 2-D
    mask, a change of memory format."""

    def __init__(self):
        super().__init__()
        self.conv1d = torch.nn.Conv1d(3, 4, 3)
        self.norm1d = torch.nn.BatchNorm1d(4)
        self.conv2d = torch.nn.Conv2d(4, 4, 1)
        self.norm2d = torch.nn.BatchNorm2d(4)
        self.alone = torch.nn.BatchNorm2d(4)
        self.prelu = torch.nn.PReLU()
        for norm in (self.norm1d, self.norm2d, self.alone):
            norm.running_mean.uniform_(-1, 1)
            norm.running_var.uniform_(0.5, 2)

    def forward(self, x, q, k, v, mask):
        y = torch.relu(self.norm1d(self.conv1d(x)))  # [1, 4, 6]
        image = y.reshape(1, 4, 2, 3)
        image = self.prelu(self.alone(self.norm2d(self.conv2d(image)) + 1.0))
        image = torch.nn.functional.max_pool2d(image.to(memory_format=torch.channels_last), 2, 1)
        image = torch.nn.functional.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False)
        image = torch.nn.functional.hardtanh(image + image)
        wide = torch.cat([image * float(i) for i in range(6)], dim=1)
        wide = wide - torch.max(wide, dim=3, keepdim=True)[0]
        attention = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return wide, attention


def _inputs():
    torch.manual_seed(0)
    return (torch.randn(1, 3, 8), torch.randn(1, 2, 4, 8), torch.randn(1, 2, 4, 8), torch.randn(1, 2, 4, 8),
            torch.zeros(4, 4))


def _program(module, lowering, inputs=None, dynamic_shapes=None):
    from executorch.exir import to_edge_transform_and_lower

    with torch.no_grad(), lowering():
        exported = torch.export.export(module.eval(), inputs or _inputs(), dynamic_shapes=dynamic_shapes, strict=True)
        edge = to_edge_transform_and_lower(exported, partitioner=xnnpack.Xnnpack.partitioners(None))
    return edge.to_executorch().buffer


@pytest.fixture(scope="module")
def every_rewrite():
    torch.manual_seed(0)
    return EveryRewrite()


def test_skipping_passes_gives_the_same_program(every_rewrite):
    assert _program(every_rewrite, xnnpack.Xnnpack.lowering) == _program(every_rewrite, contextlib.nullcontext)


def test_each_skippable_pass_runs_where_it_applies(every_rewrite, monkeypatch):
    """The passes the recipe may skip run on this module's partitions (else the test above would
    not cover them), except five that this lowering does not reach with a float module:
    to_edge_transform_and_lower keeps prelu and scaled_dot_product_attention whole for the
    partitioner, PropagateCustomMetaPass copies tags of quantized weights (the tied data-file
    programs of quantized_test depend on it), and no partition holds an operator on constants
    alone or an mm for ConstPropPass and ConvertToLinearPass (see the test after this one)."""
    import executorch.exir.program._program as program

    ran, transform = set(), program._transform

    def recording(exported, *passes, **kwargs):
        ran.update(type(p).__name__ for p in passes)
        return transform(exported, *passes, **kwargs)

    monkeypatch.setattr(program, "_transform", recording)
    _program(every_rewrite, xnnpack.Xnnpack.lowering)
    assert set(xnnpack._rewrites()) - ran == {"PReLUReshapePass", "ConvertToSDPAPass", "PropagateCustomMetaPass", "ConstPropPass",
                                             "ConvertToLinearPass"}


def test_folding_and_linear_conversion_are_found_where_the_passes_rewrite():
    """ConstPropPass and ConvertToLinearPass are skipped only where they would not change the
    graph: an operator on constants alone to fold, an mm of a transposed weight to turn into a
    linear layer."""
    from executorch.backends.xnnpack._passes.convert_to_linear import ConvertToLinearPass
    from executorch.exir import to_edge
    from executorch.exir.passes.const_prop_pass import ConstPropPass

    class Constant(torch.nn.Module):
        def forward(self, x):
            return x + torch.full((8,), 2.0) * 3.0

    class Product(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.randn(8, 8))

        def forward(self, x):
            return torch.mm(x, self.weight.t())

    rewrites = xnnpack._rewrites()
    for name, pass_class, module, rewrites_it in [
            ("ConstPropPass", ConstPropPass, Constant(), True), ("ConstPropPass", ConstPropPass, torch.nn.ReLU(), False),
            ("ConvertToLinearPass", ConvertToLinearPass, Product(), True),
            ("ConvertToLinearPass", ConvertToLinearPass, torch.nn.ReLU(), False)]:
        with torch.no_grad():
            graph_module = to_edge(torch.export.export(module, (torch.randn(2, 8),))).exported_program().graph_module
            before = [(node.op, str(node.target)) for node in graph_module.graph.nodes]
            may_change = rewrites[name](graph_module)
            after = pass_class()(graph_module).graph_module
        changed = before != [(node.op, str(node.target)) for node in after.graph.nodes]
        assert may_change == rewrites_it == changed, (name, module)

class EdgeRewrites(torch.nn.Module):
    """What the skippable passes of the edge conversion rewrite: a size used as a tensor, a
    transpose written as t(), a product of a float and an integer tensor."""

    def forward(self, x):
        return torch.ops.aten.add.Tensor(x, x.shape[0]).t() * torch.arange(4).unsqueeze(1)


def test_edge_passes_run_where_they_apply():
    args = dict(inputs=(torch.randn(3, 4),), dynamic_shapes=({0: torch.export.Dim("n", min=2, max=8)},))
    exported = torch.export.export(EdgeRewrites(), args["inputs"], dynamic_shapes=args["dynamic_shapes"]).run_decompositions({})
    assert all(may_change(exported.graph_module) for may_change in xnnpack._edge_rewrites().values())
    plain = torch.export.export(torch.nn.ReLU(), args["inputs"]).run_decompositions({})
    assert not any(may_change(plain.graph_module) for may_change in xnnpack._edge_rewrites().values())
    assert _program(EdgeRewrites(), xnnpack.Xnnpack.lowering, **args) == _program(EdgeRewrites(), contextlib.nullcontext, **args)


def test_mixed_types_are_found_where_the_pass_casts():
    """RemoveMixedTypeOperators is skipped only when no argument needs a cast."""
    from executorch.exir.passes.remove_mixed_type_operators import RemoveMixedTypeOperators

    def graph(function):
        class Module(torch.nn.Module):
            def forward(self, x):
                return function(x)

        return torch.export.export(Module(), (torch.randn(4, 3),)).run_decompositions({}).graph_module

    def changes(graph_module):
        before = [(node.op, str(node.target)) for node in graph_module.graph.nodes]
        after = RemoveMixedTypeOperators()(graph_module).graph_module
        return before != [(node.op, str(node.target)) for node in after.graph.nodes]

    for function, mixed in [(lambda x: x * torch.arange(3), True), (lambda x: torch.minimum(x, torch.ones(3, dtype=torch.int32)), True),
                            (lambda x: x / torch.arange(1, 4), True), (lambda x: x * x - x, False),
                            (lambda x: torch.arange(12).reshape(4, 3) + torch.ones(4, 3, dtype=torch.int64), False)]:
        graph_module = graph(function)
        assert xnnpack._mixed_type_arguments(graph_module) == mixed == changes(graph_module)


def test_a_quantized_llm_program_is_the_same_without_idle_retraces(tmp_path, monkeypatch):
    """The exporter's own path on the tiny Q4_1 Llama with 8da4w (dynamic length, KV cache,
    attention inside XNNPACK, the exact grid's offsets): where both decomposition runs of the
    edge conversion are needed or not, the bytes must not depend on leaving idle ones out, nor
    on the edge conversion's operator swaps being made in place instead of by re-tracing, nor on
    the graph being put in order in place after each partition is cut out, nor on a partition
    that XNNPACK's memory-format pass left as it was not being re-traced, nor on numbers given
    for tensors (x * 0.125) being made tensor constants in place, nor on the conversion to
    ExecuTorch making its tensor specs without two re-traces (with autograd on, as the
    exporter runs it: the KV cache written in place turns requires_grad on).

    One thing differs and is numbered away: debug handles follow node order, and a second
    re-trace of a non-strict export moves a size computation (the grouped queries' rows) up to
    the other size computations at the top of the graph, which shifts the handles of the
    tensor operators after it. Tensor operators are numbered first here, size computations
    after them."""
    import executorch.exir.graph_module as graph_module
    from executorch.exir.debug_handle_utils import DEBUG_HANDLE_KEY
    from executorch.exir.passes.debug_handle_generator_pass import DebugHandleGeneratorPass

    from zoo import export
    from zoo.settings import ExportSettings, ModelSource

    idle, contains = [], graph_module.contains_any_call_fn_target_op

    def recording(*args):
        found = contains(*args)
        idle.append(not found)
        return found

    monkeypatch.setattr(graph_module, "contains_any_call_fn_target_op", recording)
    revalued, propagate = [], xnnpack._propagated_values
    monkeypatch.setattr(xnnpack, "_propagated_values", lambda gm, changed: revalued.append(len(changed)) or propagate(gm, changed))
    kept, unchanged = [], xnnpack._unchanged
    monkeypatch.setattr(xnnpack, "_unchanged", lambda gm, before: kept.append(unchanged(gm, before)) or kept[-1])
    from executorch.exir.passes.scalar_to_tensor_pass import ScalarToTensorPass
    retraced, scalars = [], ScalarToTensorPass.call
    monkeypatch.setattr(ScalarToTensorPass, "call", lambda self, gm: retraced.append(len(programs)) or scalars(self, gm))
    flagged, flags = [], xnnpack._values_as_retraced
    monkeypatch.setattr(xnnpack, "_values_as_retraced", lambda gm: flagged.append(len(programs)) or flags(gm))
    ordered, order = [], xnnpack._legal_order
    monkeypatch.setattr(xnnpack, "_legal_order", lambda nodes, first: ordered.append(len(nodes)) or order(nodes, first))
    settings = ExportSettings(source=ModelSource("zoo", "zoo/configs/llama_q4_1.json"), task="text-generation",
                              qlinear="8da4w", qembedding="8w", max_seq_len=64)
    @contextlib.contextmanager
    def every_retrace():
        with xnnpack._data_dependent_sizes(), xnnpack._slice_visitor(), xnnpack._transposed_operand_visitors():
            yield

    generate = DebugHandleGeneratorPass.call

    def tensors_first(self, gm):
        result = generate(self, gm)
        nodes = [n for n in gm.graph.nodes if DEBUG_HANDLE_KEY in n.meta]
        ordered = [n for n in nodes if isinstance(n.meta.get("val"), torch.Tensor)]
        ordered += [n for n in nodes if not isinstance(n.meta.get("val"), torch.Tensor)]
        handles = {}
        for node in ordered:
            node.meta[DEBUG_HANDLE_KEY] = handles.setdefault(node.meta[DEBUG_HANDLE_KEY], len(handles) + 1)
        return result

    monkeypatch.setattr(DebugHandleGeneratorPass, "call", tensors_first)
    programs = []
    for lowering in (every_retrace, xnnpack.Xnnpack.lowering):
        monkeypatch.setattr(xnnpack.Xnnpack, "lowering", staticmethod(lowering))
        path = tmp_path / f"{len(programs)}.pte"
        export.export(settings, str(path))
        programs.append(path.read_bytes())
    assert programs[0] == programs[1]
    assert any(idle), "no decomposition run was left out: the test no longer covers it"
    assert revalued and all(revalued), "no view was swapped in place: the test no longer covers it"
    assert any(kept), "no partition kept its graph without a re-trace: the test no longer covers it"
    assert ordered, "the whole graph was never put in order in place: the test no longer covers it"
    assert 0 in retraced and 1 not in retraced, "numbers were not made tensors in place: the test no longer covers it"
    assert flagged.count(1) == 2 and 0 not in flagged, "specs were made after re-traces: the test no longer covers it"



def test_control_flow_keeps_the_edge_conversion_passes_that_re_trace():
    """A graph with a higher-order operator (torch.cond and its branch submodules) goes to
    ExecuTorch's own operator-swapping passes: the same program as without the recipe's
    shortcuts."""

    class Branches(torch.nn.Module):
        def forward(self, x):
            y = x.reshape(2, 6).t()
            return torch.cond(y.sum() > 0, lambda a: a.sin(), lambda a: a.cos(), (y,)) + 1

    assert _program(Branches(), xnnpack.Xnnpack.lowering, inputs=(torch.randn(3, 4),)) == \
        _program(Branches(), contextlib.nullcontext, inputs=(torch.randn(3, 4),))

def test_portable_kernels_that_need_contiguous_input_still_get_their_copies(monkeypatch):
    """A sum over a channels-last tensor, outside XNNPACK: ExecuTorch's dim-order legalization
    has work to do (a contiguous copy before the portable sum), so the recipe runs it, and the
    program is the same as without the recipe's shortcuts."""
    from executorch.exir.passes.legalize_portable_dim_order_pass import LegalizePortableDimOrderPass

    class ChannelsLastSum(torch.nn.Module):
        def forward(self, x):
            return (x.contiguous(memory_format=torch.channels_last) * 2).sum(dim=1) + 1

    legalized, call = [], LegalizePortableDimOrderPass.call
    monkeypatch.setattr(LegalizePortableDimOrderPass, "call", lambda self, gm: legalized.append(gm) or call(self, gm))
    inputs = (torch.randn(1, 3, 4, 5),)
    assert _program(ChannelsLastSum(), xnnpack.Xnnpack.lowering, inputs=inputs) == \
        _program(ChannelsLastSum(), contextlib.nullcontext, inputs=inputs)
    assert len(legalized) == 2


def test_partitions_merge_unless_something_outside_sits_between():
    """XNNPACK partitions that feed each other directly become one delegate call; one fed
    through an operator XNNPACK does not take stays apart (merging it would make a cycle)."""
    from torch.fx.passes.infra.partitioner import Partition

    def layer(x, weight):
        a = x + weight  # partition 0
        b = a * 2  # partition 1: fed by partition 0 only
        c = torch.abs(b)  # outside
        d = torch.sub(c, a)  # partition 2: fed by partition 0 and, through c, by partition 1
        return d + b  # partition 3: fed by partitions 1 and 2

    graph_module = torch.fx.symbolic_trace(layer)
    nodes = {node.name: node for node in graph_module.graph.nodes}
    weight = nodes["weight"]  # a placeholder held by one partition and read by others is no path
    partitions = [Partition(i, [nodes[name]] + ([weight] if i == 0 else [])) for i, name in enumerate(["add", "mul", "sub", "add_1"])]
    merged = xnnpack._merged(graph_module, partitions)
    assert sorted(sorted(node.name for node in p.nodes) for p in merged) == [["add", "mul", "weight"], ["add_1", "sub"]]


def test_initialized_buffers_without_a_retrace_give_the_same_program():
    """The exporter flags the KV caches as initialized buffers without re-tracing the graph; the
    program must be the one ExecuTorch's InitializedMutableBufferPass gives (values kept, bytes
    equal), and a buffer not named stays uninitialized."""
    from executorch.exir import ExecutorchBackendConfig, to_edge_transform_and_lower
    from executorch.exir.passes.init_mutable_pass import InitializedMutableBufferPass

    from zoo import export

    class Counter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("cache", torch.arange(6.0).reshape(2, 3))
            self.register_buffer("scratch", torch.ones(3))

        def forward(self, x):
            self.cache.add_(x)
            self.scratch.mul_(2.0)
            return self.cache.sum(0) + self.scratch

    def program(graph_pass):
        exported = torch.export.export(Counter(), (torch.ones(2, 3),), strict=True)
        edge = to_edge_transform_and_lower(exported, partitioner=xnnpack.Xnnpack.partitioners(None))
        return edge.to_executorch(ExecutorchBackendConfig(passes=[graph_pass])).buffer

    ours = program(export._initialized_buffers(["cache"]))
    assert ours == program(InitializedMutableBufferPass(["cache"]))
    assert ours != program(export._initialized_buffers([]))


def _serialized(monkeypatch, visitor_module, node_class):
    """The XNNPACK nodes of `node_class` a visitor module serializes from now on (a list that
    fills as they are made)."""
    made, make = [], getattr(visitor_module, node_class)

    def record(**fields):
        made.append(make(**fields))
        return made[-1]

    monkeypatch.setattr(visitor_module, node_class, record)
    return made


def test_slices_of_a_dynamic_tensor_run_inside_xnnpack(monkeypatch):
    """Parts of a fused projection's output (a fixed-size last dimension of a tensor whose
    length is dynamic) are sliced inside the delegate, the dynamic dimension serialized as
    "the input's size" (0); a slice of the dynamic dimension itself stays outside. Outputs
    equal eager at several lengths."""
    from executorch.backends.xnnpack.operators import op_slice_copy
    from executorch.exir import to_edge_transform_and_lower
    from executorch.runtime import Runtime

    serialized = _serialized(monkeypatch, op_slice_copy, "XNNStaticSlice")

    class Parts(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fused = torch.nn.Linear(8, 12)

        def forward(self, x):
            y = self.fused(x)
            return y[..., :4] * 2, torch.relu(y[..., 4:10]), y[..., 10:] + 1, y[:, :1]

    torch.manual_seed(0)
    module = Parts().eval()
    length = torch.export.Dim("length", min=1, max=16)
    with torch.no_grad(), xnnpack.Xnnpack.lowering():
        exported = torch.export.export(module, (torch.randn(1, 3, 8),), dynamic_shapes=({1: length},), strict=True)
        edge = to_edge_transform_and_lower(exported, partitioner=xnnpack.Xnnpack.partitioners(None))
    outside = [str(node.target) for node in edge.exported_program().graph.nodes if "slice" in str(node.target)]
    assert len(outside) == 1, f"expected only the slice of the dynamic dimension outside XNNPACK, got {outside}"
    assert sorted(node.sizes for node in serialized) == [[1, 0, 2], [1, 0, 4], [1, 0, 6]]
    program = Runtime.get().load_program(edge.to_executorch().buffer)  # must outlive its method
    method = program.load_method("forward")
    for n in (1, 3, 16):
        x = torch.randn(1, n, 8)
        with torch.no_grad():
            expected = module(x)
        got = method.execute([x])
        for e, g in zip(expected, got):
            assert e.shape == g.shape and torch.allclose(e, g, atol=1e-5), f"length {n}"


def test_a_product_with_a_transposed_operand_reads_it_as_it_is(monkeypatch):
    """bmm(a, b.transpose(1, 2)) (attention's scores over the position-major keys of a cache) is
    serialized as one XNNPACK batched product with the transpose-B flag and no transpose
    operator, with a dynamic length; a transpose that something else reads too stays an
    operator. Outputs equal eager at several lengths."""
    from executorch.backends.xnnpack.operators import op_bmm, op_permute
    from executorch.backends.xnnpack.utils.xnnpack_constants import XNN_FLAG_TRANSPOSE_B
    from executorch.exir import to_edge_transform_and_lower
    from executorch.runtime import Runtime

    serialized = {"products": _serialized(monkeypatch, op_bmm, "XNNBatchMatrixMultiply"),
                  "transposes": _serialized(monkeypatch, op_permute, "XNNStaticTranspose")}

    class Scores(torch.nn.Module):
        def forward(self, q, keys, other):
            shared = other.transpose(1, 2)
            return torch.bmm(q, keys.transpose(1, 2)), torch.bmm(q, shared), shared * 2

    module = Scores().eval()
    length = torch.export.Dim("length", min=1, max=16)
    inputs = (torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 4))
    with torch.no_grad(), xnnpack.Xnnpack.lowering():
        exported = torch.export.export(module, inputs, dynamic_shapes=(None, {1: length}, {1: length}), strict=True)
        edge = to_edge_transform_and_lower(exported, partitioner=xnnpack.Xnnpack.partitioners(None))
    assert sorted(node.flags for node in serialized["products"]) == [0, XNN_FLAG_TRANSPOSE_B]
    assert len(serialized["transposes"]) == 1  # the one read twice
    assert "permute" not in str([node.target for node in edge.exported_program().graph.nodes])  # all inside XNNPACK
    program = Runtime.get().load_program(edge.to_executorch().buffer)  # must outlive its method
    method = program.load_method("forward")
    for n in (1, 5, 16):
        q, keys, other = torch.randn(2, 3, 4), torch.randn(2, n, 4), torch.randn(2, n, 4)
        expected = module(q, keys, other)
        got = method.execute([q, keys, other])
        for e, g in zip(expected, got):
            assert e.shape == g.shape and torch.allclose(e, g, atol=1e-5), f"length {n}"
