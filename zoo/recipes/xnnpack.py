"""xnnpack: delegate what XNNPACK supports (linear, conv, elementwise, quantized matmuls) to
the XNNPACK backend; the rest runs on the portable/optimized kernels."""
import contextlib

from zoo.registry import RECIPES


def _may_be_empty(value) -> bool:
    """Whether a tensor value with data-dependent (unbacked) sizes may have no elements: true
    unless each such size is provably at least 1."""
    import torch
    from torch.fx.experimental.symbolic_shapes import has_free_unbacked_symbols
    from torch.utils._sympy.value_ranges import bound_sympy

    if not has_free_unbacked_symbols(value):
        return False
    for size in value.shape:
        if isinstance(size, torch.SymInt):
            lower = bound_sympy(size.node.expr, size.node.shape_env.var_to_range).lower
            if not lower >= 1:
                return True
    return False


def _call_targets(graph_module) -> set:
    return {node.target for node in graph_module.graph.nodes if node.op == "call_function"}


def _matches_a_pattern(patterns):
    """A subgraph-matching pass can change a graph only if the graph holds every operator of
    one of its patterns."""
    def may_change(graph_module):
        targets = _call_targets(graph_module)
        return any(_call_targets(pattern) <= targets for pattern in patterns())
    return may_change


def _has(*names):
    def may_change(graph_module):
        return any(getattr(target, "__name__", None) in names for target in _call_targets(graph_module))
    return may_change


def _rewrites():
    """For XNNPACK's preprocessing passes that rewrite only particular operators: when each can
    change a partition's graph. Each such pass re-traces the whole partition even when it finds
    nothing to do (a sixth of SmolLM2's export went there); passes not named here always run."""
    import torch
    from executorch.backends.transforms.addmm_mm_to_linear import get_dqlinear_input, get_shape
    from executorch.backends.xnnpack._passes.convert_to_linear import ConvertToLinearPass
    from executorch.backends.xnnpack._passes.fuse_activation_pass import FuseActivationPass
    from executorch.backends.xnnpack.partition.graphs import bilinear_2d, sdpa
    from executorch.backends.xnnpack.utils.quant_utils import is_dequant, is_quant
    from executorch.exir.dialects._ops import ops as exir_ops
    from executorch.exir.dialects.edge._ops import EdgeOpOverload
    from executorch.exir.passes.memory_format_ops_pass import MemoryFormatOpsMap
    from torch.fx.passes.utils.source_matcher_utils import get_source_partitions

    def custom_meta_to_propagate(graph_module):
        return any((is_quant(node) or is_dequant(node)) and node.args and "custom" in getattr(node.args[0], "meta", {})
                   for node in graph_module.graph.nodes)

    def long_concatenation(graph_module):
        return any(node.op == "call_function" and getattr(node.target, "__name__", None) == "aten.cat.default"
                   and len(node.args[0]) > 5 for node in graph_module.graph.nodes)

    def constants_to_fold(graph_module):
        # ConstPropPass folds an operator whose inputs are all constant (get_attr nodes, or none),
        # then what only such operators feed (quantize/dequantize aside: kept here, to be safe)
        return any(node.op == "call_function" and isinstance(node.target, (torch._ops.OpOverload, EdgeOpOverload))
                   and all(arg.op == "get_attr" for arg in node.all_input_nodes) for node in graph_module.graph.nodes)

    def products_to_rewrite(graph_module):
        # ConvertToLinearPass: [add]mm (and a linear layer's bmm) become linear, then the view
        # copies around a linear and what is left dead are removed
        mm = {exir_ops.edge.aten.mm.default, exir_ops.edge.aten.addmm.default}
        nodes = graph_module.graph.nodes
        if any(node.target in mm for node in nodes):
            return True
        partitions = get_source_partitions(graph_module.graph, ConvertToLinearPass.linear_modules)
        if any(node.target in ConvertToLinearPass.targets for found in partitions.values() for partition in found
               for node in partition.nodes):
            return True
        for node in nodes:
            if node.op == "call_function" and node.target == exir_ops.edge.aten.linear.default:
                source, users = node.args[0], list(node.users)
                if get_dqlinear_input(source) not in (None, source):
                    return True
                if len(users) == 1 and users[0].op == "call_function" and users[0].target == exir_ops.edge.aten.view_copy.default:
                    weight = node.args[1].meta.get("val")
                    if weight is None:
                        return True
                    shape = list(get_shape(source))
                    shape[-1] = weight.shape[0]
                    if shape == list(get_shape(users[0])):  # the view would go
                        return True
        return any(node.op == "call_function" and not node.users and not node.is_impure() for node in nodes)

    batch_norm = _has("aten._native_batch_norm_legit_no_training.default", "aten.native_batch_norm.default")
    return {
        "ConstPropPass": constants_to_fold,
        "ConvertToLinearPass": products_to_rewrite,
        "DimOrderOpsRevertPass": lambda gm: not _call_targets(gm).isdisjoint(MemoryFormatOpsMap),
        "ConvertToUpsampleBilinear2d": _matches_a_pattern(bilinear_2d.get_graphs),
        "PropagateCustomMetaPass": custom_meta_to_propagate,
        "ConvertToSDPAPass": _matches_a_pattern(sdpa.get_graphs),
        "FuseBatchNormPass": batch_norm,
        "DecomposeBatchNorm": batch_norm,
        "FuseActivationPass": lambda gm: not _call_targets(gm).isdisjoint(FuseActivationPass.FUSEABLE_ACTIVATIONS),
        "DecomposeConcatenate": long_concatenation,
        "RemoveGetItemPass": _has("aten.max_pool2d_with_indices.default", "aten.max.dim"),
        "Conv1dUnsqueezePass": _has("aten.convolution.default"),
        "PReLUReshapePass": _has("aten._prelu_kernel.default"),
        "RemoveRedundantCopyPass": _has("aten._to_copy.default"),
    }


def _symbolic_tensor_argument(graph_module):
    """Whether an operator takes a symbolic number where its schema has a tensor."""
    import torch

    symbolic = (torch.SymInt, torch.SymFloat, torch.SymBool)
    for node in graph_module.graph.nodes:
        schema = getattr(node.target, "_schema", None) if node.op == "call_function" else None
        if schema is None:
            continue
        values = [(arg, node.args[i] if i < len(node.args) else node.kwargs.get(arg.name))
                  for i, arg in enumerate(schema.arguments)]
        if any(isinstance(arg.type, torch.TensorType) and isinstance(value, torch.fx.Node)
               and isinstance(value.meta.get("val"), symbolic) for arg, value in values):
            return True
    return False


def _mixed_type_arguments(graph_module):
    """Whether RemoveMixedTypeOperators would cast an argument: an addition, subtraction,
    multiplication, division or minimum with a tensor argument not of the type the arguments
    promote to (or with a number or an argument whose type is not recorded, to be safe)."""
    import torch
    from torch._prims_common import ELEMENTWISE_TYPE_PROMOTION_KIND as KIND, elementwise_dtypes

    aten = torch.ops.aten
    kinds = {aten.add.Tensor: KIND.DEFAULT, aten.mul.Tensor: KIND.DEFAULT, aten.sub.Tensor: KIND.DEFAULT,
             aten.div.Tensor: KIND.INT_TO_FLOAT, aten.div.Tensor_mode: KIND.DEFAULT, aten.minimum.default: KIND.DEFAULT}
    for node in graph_module.graph.nodes:
        kind = kinds.get(node.target) if node.op == "call_function" else None
        if kind is None or len(node.args) <= 1:
            continue
        if node.target == aten.div.Tensor_mode and node.kwargs.get("rounding_mode") is None:
            kind = KIND.INT_TO_FLOAT
        stand_ins = []  # promotion depends on the dtypes and on which tensors are 0-D
        for arg in node.args:
            value = arg.meta.get("val") if isinstance(arg, torch.fx.Node) else None
            if not isinstance(value, torch.Tensor):
                return True
            stand_ins.append(torch.empty([1] * value.dim(), dtype=value.dtype))
        promoted = elementwise_dtypes(*stand_ins, type_promotion_kind=kind)[1]
        if any(stand_in.dtype != promoted for stand_in in stand_ins):
            return True
    return False


def _edge_rewrites():
    """As _rewrites, for passes of ExecuTorch's conversion to the edge dialect that never changed
    our graphs: each predicate is the pass's own condition for rewriting a node."""
    import torch

    return {
        "NormalizeTransposePass": lambda gm: torch.ops.aten.t.default in _call_targets(gm),
        "ReplaceBrokenOpsWithFunctionalOpsPass": lambda gm: any(getattr(target, "is_view", False)
                                                                for target in _call_targets(gm)),
        "SymToTensorPass": _symbolic_tensor_argument,
        "RemoveMixedTypeOperators": _mixed_type_arguments,
    }


@contextlib.contextmanager
def _patched(*patches):
    """Sets (owner, attribute, value) for the duration of the context, then restores them."""
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    try:
        for owner, name, value in patches:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in originals:
            setattr(owner, name, value)


def _data_dependent_sizes():
    """XNNPACK's partitioner refuses every tensor whose size depends on data (it cannot rule
    out an empty tensor, which XNNPACK does not take). Attention over a KV-cache prefix has such
    a size (cache_position[0] + n, at least 1), and leaving it out keeps each layer's attention
    on the portable kernels between two delegate calls. Here the partitioner refuses only sizes
    that may be 0; XNNPACK itself sizes them by their upper bound at export and by the actual
    tensors at run time."""
    from executorch.backends.xnnpack.partition.config import xnnpack_config

    return _patched((xnnpack_config, "has_free_unbacked_symbols", _may_be_empty))


def _sliced_dimension_static(node) -> bool:
    """Whether a slice_copy node takes a stride-1 slice of a dimension whose size is fixed, from
    a tensor whose other dimensions may be dynamic but never 0 (a fused projection's output
    split into its parts: [1, n, q + k + v] -> [1, n, q], ...)."""
    import torch

    args = list(node.args) + [None] * (5 - len(node.args))
    source, dim, start, step = args[0], args[1] or 0, args[2] or 0, args[4] or 1
    if not isinstance(source, torch.fx.Node) or step != 1 or not isinstance(start, int):
        return False
    before, after = source.meta.get("val"), node.meta.get("val")
    if not isinstance(before, torch.Tensor) or not isinstance(after, torch.Tensor):
        return False
    dim %= before.dim()
    sizes = [before.shape[dim], after.shape[dim]]
    fixed = [size for value in (before, after) for size in value.shape if isinstance(size, int)]
    return all(isinstance(size, int) for size in sizes) and all(fixed) and not _may_be_empty(before) and not _may_be_empty(after)


def _slice_config():
    """XNNPACK's slice config, also taking slices of a fixed-size dimension of tensors whose
    other dimensions are dynamic (XNNPACK's own refuses every dynamic tensor): the query, key and
    value parts of a fused projection stay in the layer's delegate call. _slice_visitor
    serializes them."""
    from executorch.backends.xnnpack.partition.config.generic_node_configs import SliceCopyConfig
    from executorch.backends.xnnpack.utils.quant_utils import is_dequant

    class FixedDimensionSliceConfig(SliceCopyConfig):
        def check_constraints(self, node, ep):
            if super().check_constraints(node, ep):
                return True
            return (self.check_common_constraints(node, ep) and not is_dequant(node.args[0])
                    and _sliced_dimension_static(node))

    return SliceCopyConfig, FixedDimensionSliceConfig


def _slice_visitor():
    """XNNPACK's slice serialization with each dynamic dimension's size given as 0, which
    XNNPACK reads as "the input's size" when it reshapes the graph at run time (XNNPACK's own
    gives the dimension's upper bound, which only fits inputs of that size)."""
    from executorch.backends.xnnpack.operators import node_visitor  # registers every visitor
    from executorch.backends.xnnpack.utils.utils import PERM_NCHW_TO_NHWC

    target = "aten.slice_copy.Tensor"

    class InferredSizeSliceVisitor(node_visitor._node_visitor_dict[target]):
        def define_node(self, node, xnn_graph, vals_to_ids, debug_handle):
            super().define_node(node, xnn_graph, vals_to_ids, debug_handle)
            shape = list(node.meta["val"].shape)
            if "XNN_NHWC_NODE" in node.meta:
                shape = [shape[i] for i in PERM_NCHW_TO_NHWC]
            sizes = xnn_graph.xnodes[-1].xnode_union.sizes
            for i, size in enumerate(shape):
                if not isinstance(size, int):
                    sizes[i] = 0

    visitors = {**node_visitor._node_visitor_dict, target: InferredSizeSliceVisitor}
    return _patched((node_visitor, "_node_visitor_dict", visitors))


def _transposed_operand_visitors():
    """A batched product whose second operand is a transpose of the last two dimensions of a
    3-D tensor, bmm(a, b.transpose(1, 2)), serialized as one XNNPACK batched product that reads
    b as it is ([batch, n, k]; XNNPACK's XNN_FLAG_TRANSPOSE_B, which the runtime passes
    through), and the transpose, read by nothing else, not serialized: attention reads the keys
    in the cache's position-major layout without a copy (XNNPACK's own serialization copies
    them through a transpose operator first)."""
    from executorch.backends.xnnpack.operators import node_visitor
    from executorch.backends.xnnpack.utils.utils import get_input_node
    from executorch.backends.xnnpack.utils.xnnpack_constants import XNN_FLAG_TRANSPOSE_B

    product, transpose = "aten.bmm.default", "aten.permute_copy.default"

    def read_transposed(node) -> bool:
        if node.op != "call_function" or getattr(node.target, "__name__", None) != transpose:
            return False
        value = node.meta.get("val")
        if value is None or value.dim() != 3 or "XNN_NHWC_NODE" in node.meta:
            return False
        if [dim % 3 for dim in node.args[1]] != [0, 2, 1]:
            return False
        return all(getattr(user.target, "__name__", None) == product and len(user.args) > 1 and user.args[1] is node
                   and user.args[0] is not node for user in node.users)

    class Product(node_visitor._node_visitor_dict[product]):
        def define_node(self, node, xnn_graph, vals_to_ids, debug_handle):
            second = get_input_node(node, 1)
            if not read_transposed(second):
                return super().define_node(node, xnn_graph, vals_to_ids, debug_handle)
            first, source = get_input_node(node, 0), get_input_node(second, 0)
            for value in (node, first, source):
                self.define_tensor(value, xnn_graph, vals_to_ids)
            super().define_node(node, xnn_graph, {**vals_to_ids, second: vals_to_ids[source]}, debug_handle)
            xnn_graph.xnodes[-1].xnode_union.flags = XNN_FLAG_TRANSPOSE_B

    class Transpose(node_visitor._node_visitor_dict[transpose]):
        def define_node(self, node, xnn_graph, vals_to_ids, debug_handle):
            if not read_transposed(node):
                super().define_node(node, xnn_graph, vals_to_ids, debug_handle)

    visitors = {**node_visitor._node_visitor_dict, product: Product, transpose: Transpose}
    return _patched((node_visitor, "_node_visitor_dict", visitors))


def _no_idle_retraces():
    """Re-traces of a whole graph that cannot change it are left out; the program is the one
    XNNPACK's own lowering gives, in less time, byte for byte but for the numbering of debug
    handles (they follow node order, and a re-trace moves a size computation of a non-strict
    export up to the others at the top of the graph):
    - XNNPACK's preprocessing skips a pass that cannot change the partition at hand (see
      _rewrites), and so does the conversion to the edge dialect (see _edge_rewrites);
    - a decomposition run over a table none of whose operators is in the graph returns the
      program as it is. ExecuTorch applies this rule itself where a partitioner lists the
      operators it keeps, but XNNPACK's also checks each node, and on that path the edge
      conversion decomposes the whole graph a second time, after the nodes XNNPACK takes have
      been set aside, even when every kept node passed the check and nothing is left to
      decompose (size queries of dynamic dimensions aside: they re-trace as themselves);
    - the first run, with an empty table, only makes the program functional, which the run with
      the partitioner's table right after it does too: it waits for that run (or, if none comes,
      for the edge conversion), so the graph is re-traced once instead of twice."""
    import weakref

    import torch
    from executorch.backends.xnnpack._passes import XNNPACKPassManager, XNNPACKPass
    from executorch.exir.graph_module import contains_any_call_fn_target_op
    from executorch.exir.pass_base import PassResult
    from executorch.exir.program import _program as program_module
    from executorch.exir.program._program import _transform
    from torch.export import ExportedProgram

    rewrites = _rewrites()
    in_place = _retraced_only_if_changed()

    def transform(self):
        program = self.exported_program
        for pass_class in self.passes:
            may_change = rewrites.get(pass_class.__name__)
            if may_change is not None and not may_change(program.graph_module):
                continue
            pass_class = in_place.get(pass_class, pass_class)
            transform_pass = pass_class(program) if issubclass(pass_class, XNNPACKPass) else pass_class()
            program = _transform(program, transform_pass)
        return program

    decompose = ExportedProgram.run_decompositions
    # a size query of a dynamic dimension "decomposes" into the same query when re-traced
    size_queries = {torch.ops.aten.sym_size.int}

    not_functional = weakref.WeakSet()  # programs whose functionalizing run is still to come

    def run_decompositions(self, decomp_table=None, *args, **kwargs):
        if decomp_table is not None and not decomp_table and not args and not kwargs:
            not_functional.add(self)
            return self
        if decomp_table and self not in not_functional:
            table = {op: fn for op, fn in decomp_table.items() if op not in size_queries}
            if not contains_any_call_fn_target_op(self.graph_module, table):
                return self
        not_functional.discard(self)
        return decompose(self, decomp_table, *args, **kwargs)

    generate_edge_program = program_module._generate_edge_program

    def functional_edge_program(config, program, *args, **kwargs):
        if program in not_functional:
            program = decompose(program, {})
        return generate_edge_program(config, program, *args, **kwargs)

    edge_rewrites = _edge_rewrites()
    edge_passes = program_module._get_aten_to_edge_passes

    def unless_idle(graph_pass):
        may_change = edge_rewrites.get(type(getattr(graph_pass, "__wrapped__", graph_pass)).__name__)
        if may_change is None:
            return graph_pass
        return lambda gm: graph_pass(gm) if may_change(gm) else PassResult(gm, False)

    def aten_to_edge_passes(config):
        return tuple([unless_idle(p) for p in passes] for passes in edge_passes(config))

    return _patched((XNNPACKPassManager, "transform", transform), (ExportedProgram, "run_decompositions", run_decompositions),
                    (program_module, "_get_aten_to_edge_passes", aten_to_edge_passes),
                    (program_module, "_generate_edge_program", functional_edge_program))


def _retraced_only_if_changed():
    """{XNNPACK pass: the same pass, re-tracing the partition only where it changed it}.
    ChannelsLastTaggedReshapePass tags each node's memory format in place and inserts
    conversions where formats meet, then re-traces the whole partition to give new nodes their
    values; a partition of 2-D and 3-D tensors (an LLM's) gets no conversion, and re-tracing it
    gives back the same graph."""
    from executorch.backends.xnnpack._passes.channels_last_tagged_reshape_pass import ChannelsLastTaggedReshapePass
    from executorch.exir.pass_base import ExportPass, PassResult

    class RetraceIfChanged(ExportPass):  # next after the pass in the MRO: what its super().call reaches
        def call(self, graph_module):
            if _unchanged(graph_module, self.before):
                return PassResult(graph_module, True)
            return super().call(graph_module)

    class Tagged(ChannelsLastTaggedReshapePass, RetraceIfChanged):
        def call(self, graph_module):
            self.before = _structure(graph_module)
            return super().call(graph_module)

    return {ChannelsLastTaggedReshapePass: Tagged}


def _structure(graph_module):
    return [(node, node.target, node.args, node.kwargs) for node in graph_module.graph.nodes]


def _unchanged(graph_module, before) -> bool:
    return _structure(graph_module) == before


def _legalized_in_place():
    """torch's legalize_graph, which ExecuTorch runs on the whole graph after cutting out each
    partition, builds a new graph of copied nodes in its topological order and regenerates the
    module's Python code (34 times on SmolLM2, ~15 s); here the same order (Kahn's, size
    computations and runtime checks first among the ready nodes, as torch's) is given to the
    graph's own nodes by moving them, and while one program's partitions are cut out its code is
    regenerated once, after the last (nothing runs the module in between)."""
    import operator

    import torch
    from executorch.exir import lowered_backend_module
    from executorch.exir.backend import backend_api

    aten = torch.ops.aten
    size_checks = [operator.add, operator.mul, operator.sub, operator.floordiv, operator.truediv, operator.mod,
                   operator.le, operator.lt, operator.ge, operator.gt, operator.eq, operator.ne,
                   aten.sym_constrain_range.default, aten.sym_constrain_range_for_size.default,
                   aten._assert_async.msg, aten.scalar_tensor.default, aten._assert_scalar.default]

    def legalize(graph_module):
        nodes = list(graph_module.graph.nodes)
        order = _legal_order(nodes, size_checks)
        if order[0] is not nodes[0]:
            nodes[0].prepend(order[0])
        for before, node in zip(order, order[1:]):
            if before.next is not node:
                before.append(node)
        if not cutting or cutting[-1] is not graph_module:
            graph_module.recompile()
        return graph_module

    cutting = []  # the graph module whose partitions are being cut out
    create = backend_api._create_partitions_in_graph_module

    def partitions_created(graph_module, *args, **kwargs):
        cutting.append(graph_module)
        try:
            return create(graph_module, *args, **kwargs)
        finally:
            cutting.pop()
            graph_module.recompile()

    return _patched((lowered_backend_module, "legalize_graph", legalize),
                    (backend_api, "_create_partitions_in_graph_module", partitions_created))


def _legal_order(nodes, first):
    """`nodes` (a whole graph) in Kahn's topological order, nodes calling one of `first` ahead of
    the other ready nodes."""
    import collections

    waiting = dict.fromkeys(nodes, 0)
    for node in nodes:
        for user in node.users:
            waiting[user] += 1
    ready = collections.deque(node for node in nodes if waiting[node] == 0)
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for user in node.users:
            waiting[user] -= 1
            if waiting[user] == 0:
                if user.op == "call_function" and user.target in first:
                    ready.appendleft(user)
                else:
                    ready.append(user)
    if len(order) < len(nodes):
        raise RuntimeError(f"the graph has a cycle through {[node for node in waiting if waiting[node]]}")
    return order


def _fake_mode(graph_module):
    """The fake-tensor mode of the graph's placeholder values."""
    from torch._guards import detect_fake_mode

    return detect_fake_mode([node.meta.get("val") for node in graph_module.graph.nodes if node.op == "placeholder"])


def _evaluated(node, fake_mode):
    """The value of the node's operator run on its inputs' values, in the fake mode."""
    import torch
    from torch._dispatch.python import enable_python_dispatcher

    args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda arg: arg.meta["val"])
    with fake_mode, enable_python_dispatcher():
        return node.target(*args, **kwargs)


def _propagated_values(graph_module, changed):
    """Re-evaluates node.meta["val"] on fake inputs for the nodes in `changed` and, in graph
    order, for each node an input of which got a value of another shape, stride or dtype: what a
    re-trace of the whole graph would give those nodes, while the others keep theirs."""
    import torch

    def layout(value):
        if isinstance(value, torch.Tensor):
            # as text: comparing symbolic sizes would guard on them
            return str((tuple(value.shape), tuple(value.stride()), value.dtype, value.storage_offset()))
        return str(value)

    fake_mode = _fake_mode(graph_module)
    moved = set()
    for node in graph_module.graph.nodes:
        if node.op != "call_function":
            continue
        if node not in changed and not any(arg in moved for arg in node.all_input_nodes):
            continue
        value = _evaluated(node, fake_mode)
        before = node.meta.get("val")
        node.meta["val"] = value
        if layout(value) != layout(before):
            moved.add(node)


def _in_place_edge_passes():
    """The edge conversion re-traces the whole graph with fake tensors for each of three passes
    that only swap operators: views for their copying variants, ATen operators for the edge
    dialect's, memory formats for dim orders (together ~15 % of SmolLM2's export). These make
    the same swaps in place, and only the views (now copies) and what their new layout reaches
    are re-evaluated; the program is the same, byte for byte. The edge conversion's
    ScalarToTensorPass, a fourth such re-trace, is made in place too (_scalars_as_tensors)."""
    import torch
    from executorch.exir.dialects.edge._ops import EdgeOpOverload
    from executorch.exir.dim_order_utils import get_dim_order
    from executorch.exir.pass_base import PassResult
    from executorch.exir.passes.dim_order_ops_registry import DimOrderOpsMap
    from executorch.exir.passes.replace_aten_with_edge_pass import aten_to_edge, should_lower_to_edge
    from executorch.exir.program import _program as program_module
    from torch._export.passes import replace_view_ops_with_view_copy_ops_pass as views

    def swap(original, replacement, revalue=False):
        """A pass class whose instances set each operator node's (target, kwargs) to
        replacement(node) unless that is None; graphs with control flow (submodules called by
        higher-order operators) go to the original pass."""
        class InPlace:
            def __call__(self, graph_module):
                if any(isinstance(node.target, torch._ops.HigherOrderOperator) for node in graph_module.graph.nodes):
                    return original()(graph_module)
                changed = set()
                for node in graph_module.graph.nodes:
                    if node.op == "call_function" and isinstance(node.target, (torch._ops.OpOverload, EdgeOpOverload)):
                        swapped = replacement(node)
                        if swapped is not None:
                            node.target, node.kwargs = swapped
                            changed.add(node)
                if changed and revalue:
                    _propagated_values(graph_module, changed)
                if changed:
                    graph_module.recompile()
                return PassResult(graph_module, bool(changed))
        return InPlace

    def view_copy(node):
        op = node.target
        target = views._NON_FUNCTIONAL_OPS_TO_FUNCTIONAL_OPS.get(op) or views.get_view_copy_of_view_op(op._schema)
        return (target, node.kwargs) if target is not None else None

    def edge(node):
        return (aten_to_edge(node.target), node.kwargs) if should_lower_to_edge(node.target) else None

    def dim_order(node):
        op = node.target
        if not (isinstance(op, EdgeOpOverload) and op in DimOrderOpsMap):
            return None
        kwargs = dict(node.kwargs)
        memory_format = kwargs.pop("memory_format", torch.preserve_format)
        source = node.args[0].meta.get("val") if isinstance(node.args[0], torch.fx.Node) else None
        if memory_format in (None, torch.preserve_format):
            order = ([int(d) for d in source.dim_order()] if isinstance(source, torch.Tensor)
                     else list(range(len(node.args[0]))))
        else:
            ndim = source.dim() if isinstance(source, torch.Tensor) else len(node.args[0])
            order = get_dim_order(memory_format, ndim)
        kwargs["dim_order"] = order
        return DimOrderOpsMap[op], kwargs

    edge_passes = program_module._get_aten_to_edge_passes

    def with_scalars_in_place(config):
        return tuple([_scalars_as_tensors(p) for p in passes] for passes in edge_passes(config))

    return _patched(
        (program_module, "ReplaceViewOpsWithViewCopyOpsPass",
         swap(program_module.ReplaceViewOpsWithViewCopyOpsPass, view_copy, revalue=True)),
        (program_module, "OpReplacePass", swap(program_module.OpReplacePass, edge)),
        (program_module, "MemoryFormatOpsPass", swap(program_module.MemoryFormatOpsPass, dim_order)),
        (program_module, "_get_aten_to_edge_passes", with_scalars_in_place))


def _scalars_as_tensors(graph_pass):
    """`graph_pass`, or for ExecuTorch's ScalarToTensorPass (which re-traces the whole graph to
    turn each number given where an operator takes a tensor, e.g. x * 0.125, into a tensor
    constant) the same change made in place: each such number becomes a get_attr constant
    before its operator, named as the re-trace names them, and the operators are re-evaluated.
    Nodes without provenance (size queries the export added) get themselves as their origin,
    which a re-trace would give them. Graphs with control flow, or whose module already holds
    a constant of such a name, go to the pass."""
    import itertools

    import torch
    from executorch.exir.pass_base import PassResult, map_args
    from executorch.exir.passes.scalar_to_tensor_pass import ScalarToTensorPass
    from torch.fx.traceback import NodeSource, NodeSourceAction

    if not isinstance(getattr(graph_pass, "__wrapped__", graph_pass), ScalarToTensorPass):
        return graph_pass

    def in_place(graph_module):
        nodes = list(graph_module.graph.nodes)
        if any(isinstance(node.target, torch._ops.HigherOrderOperator) for node in nodes) or \
                any(name.startswith("_tensor_constant") for name, _ in graph_module.named_buffers()) or \
                any(name.startswith("_tensor_constant") for name in vars(graph_module)):
            return graph_pass(graph_module)
        fake_mode = _fake_mode(graph_module)
        names = (f"_tensor_constant{i}" for i in itertools.count())
        changed, numbers = set(), []

        class Number:  # a number's place in an operator's arguments, until its constant exists
            def __init__(self, value):
                self.index = len(numbers)
                numbers.append(value)

        def coerce(value, argument):
            if isinstance(value, (float, int, bool)) and isinstance(argument.type, torch.TensorType):
                return Number(value)
            return value

        for node in nodes:
            if node.op != "call_function" or not isinstance(node.target, torch._ops.OpOverload):
                continue
            numbers.clear()
            args, kwargs = map_args(node.target, coerce, node.args, node.kwargs)
            if not numbers:
                continue
            constants = []
            for value in numbers:
                name = next(names)
                tensor = torch.tensor(value)
                setattr(graph_module, name, tensor)
                with graph_module.graph.inserting_before(node):
                    constant = graph_module.graph.get_attr(name)
                constant.meta.update(node.meta)
                constant.meta["val"] = fake_mode.from_tensor(tensor) if fake_mode else tensor
                constant.meta["tensor_meta"] = None
                constants.append(constant)

            def placed(value):
                return constants[value.index] if isinstance(value, Number) else value

            node.args = tuple(placed(a) for a in args)
            node.kwargs = {k: placed(v) for k, v in kwargs.items()}
            changed.add(node)
        for node in nodes:
            if node.op not in ("placeholder", "output") and "from_node" not in node.meta:
                node.meta["from_node"] = [NodeSource(node, "ScalarToTensorPass", NodeSourceAction.CREATE)]
        if changed:
            _propagated_values(graph_module, changed)
            graph_module.recompile()
        return PassResult(graph_module, bool(changed))

    return in_place


def _specs_without_retraces():
    """The conversion to ExecuTorch re-traces the whole graph twice (~17 s on SmolLM2):
    LegalizePortableDimOrderPass, to put contiguous copies before the few portable kernels that
    need them (none in a graph without such an operator on a tensor of another dim order), and
    SpecPropPass, to refresh every value before making the tensor specs the program is written
    from. Every value is current here (a graph with a node lacking one, or with control flow,
    goes to the passes as they are, and so does one with a value that is not a fake tensor); what
    those re-traces change is autograd's requires_grad flag, which the specs carry into the
    program, and each operator's tensor_meta (_values_as_retraced)."""
    import torch
    from executorch.exir.pass_base import PassResult
    from executorch.exir.passes import spec_prop_pass
    from executorch.exir.program import _program as program_module
    from torch._subclasses.fake_tensor import FakeTensor
    from torch.utils import _pytree as pytree

    legalize = program_module.LegalizePortableDimOrderPass

    def current(graph_module):
        if any(isinstance(module, torch.fx.GraphModule) for module in graph_module.children()):
            return False
        for node in graph_module.graph.nodes:
            if node.op in ("placeholder", "call_function"):
                if "val" not in node.meta:
                    return False
                if any(isinstance(leaf, torch.Tensor) and not isinstance(leaf, FakeTensor)
                       for leaf in pytree.tree_leaves(node.meta["val"])):
                    return False
        return True

    class LegalizedIfNeeded(legalize):
        def __call__(self, graph_module):
            for node in graph_module.graph.nodes:
                if node.op == "call_function" and node.target in self._target_ops:
                    source = node.args[0].meta.get("val") if isinstance(node.args[0], torch.fx.Node) else None
                    if not isinstance(source, torch.Tensor) or list(source.dim_order()) != list(range(source.dim())):
                        return super().__call__(graph_module)
            if not current(graph_module):
                return super().__call__(graph_module)
            _values_as_retraced(graph_module)
            return PassResult(graph_module, False)

    class SpecsInPlace(program_module.SpecPropPass):
        def __call__(self, graph_module):
            if not current(graph_module):
                return super().__call__(graph_module)
            _values_as_retraced(graph_module)
            # a module of its own, as the re-trace gives: to_executorch moves the final graph and
            # submodules into the program's module, emptying it first
            module = torch.fx.GraphModule(graph_module, graph_module.graph)
            module.meta.update(graph_module.meta)
            with _patched((spec_prop_pass, "ExportPass", lambda: lambda _: PassResult(module, True))):
                return super().__call__(graph_module)

    return _patched((program_module, "LegalizePortableDimOrderPass", LegalizedIfNeeded),
                    (program_module, "SpecPropPass", SpecsInPlace))


def _values_as_retraced(graph_module):
    """Sets what a re-trace by ExecuTorch's ExportPass sets besides values: each operator's
    tensor_meta (None for each fake tensor), and autograd's requires_grad flags (the re-trace
    runs under the caller's grad mode). An operator none of whose tensor inputs requires grad
    gives no output that does; a delegate call's floating-point outputs require grad if one of
    its inputs does (ExecuTorch's rule for it); any other operator with such an input is run on
    the fake values, and autograd decides (which outputs are differentiable; an operator writing
    to an input, a KV cache's index_put_, makes that value require grad, as in the re-trace,
    where a placeholder keeps its value)."""
    import operator

    import torch
    from executorch.exir.delegate import executorch_call_delegate
    from torch.utils import _pytree as pytree

    def tensors(value):
        return [leaf for leaf in pytree.tree_leaves(value) if isinstance(leaf, torch.Tensor)]

    def differentiable(value):
        return value.is_floating_point() or value.is_complex()

    fake_mode = _fake_mode(graph_module)
    enabled = torch.is_grad_enabled()
    for node in graph_module.graph.nodes:
        if node.op != "call_function":
            continue
        value = node.meta["val"]
        node.meta["tensor_meta"] = pytree.tree_map(lambda _: None, value)
        outputs = tensors(value)
        if not outputs:
            continue
        grad = enabled and any(leaf.requires_grad for arg in node.all_input_nodes for leaf in tensors(arg.meta.get("val")))
        if node.target is operator.getitem:
            wanted = [tensors(node.args[0].meta["val"][node.args[1]])[0].requires_grad]
        elif not grad:
            wanted = [False] * len(outputs)
        elif node.target is executorch_call_delegate:
            wanted = [differentiable(output) for output in outputs]
        else:
            node.meta["val"] = _evaluated(node, fake_mode)
            continue
        if [output.requires_grad for output in outputs] != wanted:
            flags = iter(wanted)
            node.meta["val"] = pytree.tree_map_only(
                torch.Tensor, lambda output: output.detach().requires_grad_(next(flags)), value)


def _pair_checks_from_the_pair():
    """XNNPACK's partitioner (ExecuTorch's GroupBasedPartitioner) tries to merge every pair of
    its first partitions (~35,000 pairs on SmolLM2), checking for each operator outside the pair
    that uses one of its nodes whether a node of the pair lies downstream of it by walking that
    operator's whole downstream set (thousands of nodes for one early in the graph). Here each
    such set is asked whether it holds one of the pair's few nodes instead: the same answers."""
    from executorch.exir.backend.canonical_partitioners.group_partitioner import GroupBasedPartitioner
    from torch.fx.passes.utils.fuser_utils import validate_partition

    def can_merge(self, first, second, partitions_by_id):
        pair = partitions_by_id[first].nodes.keys() | partitions_by_id[second].nodes.keys()
        for node in pair:
            for user in node.users:
                if user not in pair and not self.dependency_viewer.downstreams_of(user).isdisjoint(pair):
                    return False
        return validate_partition(list(pair))

    return _patched((GroupBasedPartitioner, "_can_merge_partitions", can_merge))


def _mergeable(nodes, order) -> bool:
    """Whether the graph nodes `nodes` can run as one delegate call: no path leaves the set and
    comes back into it (`order`: each node's position in the graph, a topological order)."""
    last = max(order[node] for node in nodes)
    # constants (placeholders) a partition holds feed other partitions too; data leaves the set
    # only through its operators
    stack = [user for node in nodes if node.op == "call_function" for user in node.users if user not in nodes]
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen or order[node] > last:  # a later node cannot feed the set
            continue
        seen.add(node)
        for user in node.users:
            if user in nodes:
                return False
            stack.append(user)
    return True


def _merged(graph_module, partitions, window=4):
    """XNNPACK's partitions with each one merged into one of the `window` partitions before it
    where that makes no cycle. XNNPACK's grouping leaves partitions that nothing outside
    separates (in a decoder layer, the key/value projections' last additions, rotary embedding
    and transposes came apart from the projections): each is one more delegate call per layer
    and token, ~20 us of fixed cost each on SmolLM2."""
    order = {node: i for i, node in enumerate(graph_module.graph.nodes)}

    def start(partition):  # where its first operator is (its constants are at the graph's start)
        return min((order[node] for node in partition.nodes if node.op == "call_function"), default=0)

    merged = []
    for partition in sorted(partitions, key=start):
        for group in reversed(merged[-window:]):
            if _mergeable(group.nodes.keys() | partition.nodes.keys(), order):
                group.nodes.update(partition.nodes)
                break
        else:
            merged.append(partition)
    return merged


def _partitioner():
    """XNNPACK's partitioner, with its partitions merged where nothing separates them and slices
    of dynamic tensors taken (_slice_config)."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

    from executorch.backends.xnnpack.partition.config import ALL_PARTITIONER_CONFIGS

    class MergingXnnpackPartitioner(XnnpackPartitioner):
        def generate_partitions(self, ep):
            return _merged(ep.graph_module, super().generate_partitions(ep))

    theirs, ours = _slice_config()
    return MergingXnnpackPartitioner(configs=[ours if config is theirs else config for config in ALL_PARTITIONER_CONFIGS])


@contextlib.contextmanager
def _lowering():
    """The context one XNNPACK lowering runs in, to the end of the conversion to ExecuTorch:
    _data_dependent_sizes, _slice_visitor, _transposed_operand_visitors, _no_idle_retraces,
    _in_place_edge_passes, _pair_checks_from_the_pair, _legalized_in_place and
    _specs_without_retraces."""
    with _data_dependent_sizes(), _slice_visitor(), _transposed_operand_visitors(), _no_idle_retraces(), \
            _in_place_edge_passes(), _pair_checks_from_the_pair(), _legalized_in_place(), _specs_without_retraces():
        yield


@RECIPES.register("xnnpack")
class Xnnpack:
    @staticmethod
    def partitioners(settings):
        return [_partitioner()]

    lowering = staticmethod(_lowering)
