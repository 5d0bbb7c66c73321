"""A static KV cache and attention that export to fast ExecuTorch programs with only the ops the
runtime's kernel libraries and XNNPACK provide.

The plain transformers static-cache wrapper spends most of a decode step copying: it repeats the
key/value heads for grouped-query attention over every cache slot (expand_copy) and rewrites the
whole cache on each update (index_copy). Here instead
- each layer's cache is two buffers, keys and values [kv_heads, max_seq_len, head_dim],
  updated in place with index_put_ at `cache_position` along the sequence dimension (one 1-D
  index: the runtime's in-place case, here a row per key/value head; the exporter re-inplaces
  it, so no copy of the cache is made);
- attention reads the filled prefix with one slice per buffer, its length (cache_position[0] + n,
  read with .item(), so the program has a dynamic length bounded by max_seq_len) rounded up to a
  multiple of ATTENTION_BLOCK slots, the slots past the prefix masked: the shapes the delegates
  see change once every ATTENTION_BLOCK decode steps instead of every step, so a runner that
  re-plans XNNPACK's operators only when a shape changed (ours) re-plans that seldom;
- query heads are grouped per key/value head by a reshape, so keys and values are never
  repeated, and attention is two batched matrix products (the first reading the keys
  transposed, which the xnnpack recipe serializes as a flag of the product, not a copy) and a
  softmax over the last dimension: XNNPACK takes all of it (the xnnpack recipe lets its
  partitioner accept the data-dependent length, which is never 0);
- the causal (and sliding-window) mask is built once per forward from cache_position, already in
  the layout the scores have, so the layers only add it;
- rotate_half of the rotary embedding is a matrix product, so XNNPACK takes it too.
With the exporter's reshape pass, a decoder layer is one delegate call (attention, output
projection, MLP and the next layer's projections) and the cache's index_put_ and slice pairs.

The calling convention is unchanged: forward(input_ids[1, n], cache_position[n]) -> logits.
"""
import torch

ATTENTION = "executorch_static_cache"
# attention reads the cache in blocks of this many positions (the filled prefix rounded up)
ATTENTION_BLOCK = 32


def grouped_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, softcap=None,
                      cache_layout=None, **kwargs):
    """Attention for one layer. query [1, heads, n, d]; key and value [1, kv_heads, length, d]
    (the filled cache prefix), or with cache_layout="kv_heads_first" (StaticCacheLM) the cache's
    own prefixes, [kv_heads, length, d] (3-D, so no reshape has to copy them inside the
    delegate). attention_mask [1, 1, n, length] (boolean or additive, as transformers makes it)
    or, with "kv_heads_first", additive [1, 1, groups * n, length]. Returns [1, n, heads, d].

    Query heads h = k * groups + g share key/value head k, so the queries of one key/value head
    are one [groups * n, d] matrix and attention is two batched matrix products over the
    key/value heads, reading the cache in its stored layout: keys and values are never repeated
    or copied (the keys' transpose is a flag of XNNPACK's product), the softmax runs over the
    last dimension, and every op of it is one XNNPACK takes."""
    _, heads, n, dim = query.shape
    cache = cache_layout == "kv_heads_first"
    keys, values = (key, value) if cache else (key[0], value[0])
    kv_heads, length, _ = values.shape
    groups = heads // kv_heads
    if cache:
        mask = attention_mask.reshape(groups * n, length)
    else:
        mask = _additive_mask(attention_mask, n, length, query.dtype).reshape(n, length).repeat(groups, 1)
    if scaling is None:
        scaling = dim ** -0.5
    q = (query * scaling).reshape(kv_heads, groups * n, dim)
    scores = torch.bmm(q, keys.transpose(1, 2))  # [kv_heads, groups * n, length]
    if softcap is not None:
        scores = torch.tanh(scores / softcap) * softcap
    probs = torch.softmax((scores + mask).float(), dim=-1).to(value.dtype)
    out = torch.bmm(probs, values)  # [kv_heads, groups * n, d]
    # two views, not one reshape: non-strict tracing cannot prove that reshape's strides for
    # every length (the edge graph folds the two back into one)
    return out.view(kv_heads, groups, n, dim).view(1, heads, n, dim).transpose(1, 2), None


def _additive_mask(mask, n, length, dtype):
    """[.., n, length] additive mask from what transformers passes when the model runs outside
    the wrapper (eager checks): a boolean mask, or None for plain causal attention."""
    if mask is None:
        causal = torch.ones(n, length, dtype=torch.bool).tril(diagonal=length - n)
        mask = causal[None, None]
    if mask.dtype == torch.bool:
        mask = torch.where(mask, torch.zeros((), dtype=dtype), torch.full((), torch.finfo(dtype).min, dtype=dtype))
    return mask


def _register_attention():
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(ATTENTION, grouped_attention)
    # the model also runs eagerly (references, checks): masks as for sdpa
    ALL_MASK_ATTENTION_FUNCTIONS.register(ATTENTION, sdpa_mask)


class _RmsNorm(torch.nn.Module):
    """RMSNorm with the mean of squares as a matrix product with a [1, d] row of 1/d and epsilon
    as its bias: XNNPACK only averages 4-D tensors, and a norm left to the portable kernels
    splits every layer into more delegate partitions (slower to lower, more hand-offs per token)."""

    def __init__(self, weight, eps, offset):
        super().__init__()
        self.weight = weight
        self.offset = offset  # Gemma scales by (1 + weight)
        dim = weight.shape[-1]
        self.register_buffer("mean_row", torch.full((1, dim), 1.0 / dim), persistent=False)
        self.register_buffer("eps_bias", torch.full((1,), float(eps)), persistent=False)

    def forward(self, x):
        dtype = x.dtype
        h = x.float()
        variance_eps = torch.nn.functional.linear(h * h, self.mean_row, self.eps_bias)
        h = h * torch.rsqrt(variance_eps)
        if self.offset:
            return (h * (1.0 + self.weight.float())).to(dtype)
        return self.weight * h.to(dtype)


def _rms_norm_like(module):
    """(eps, offset) of a transformers RMSNorm whose formula _RmsNorm reproduces, else None."""
    name = type(module).__name__
    if not name.endswith("RMSNorm") or not isinstance(getattr(module, "weight", None), torch.nn.Parameter):
        return None
    if name.startswith("Gemma3") and hasattr(module, "eps"):
        return module.eps, True
    if hasattr(module, "variance_epsilon") and not name.startswith("Gemma"):
        return module.variance_epsilon, False
    return None


def replace_rms_norms(model) -> int:
    """Swaps the RMSNorms of known families for _RmsNorm (same values); returns how many."""
    count = 0
    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            found = _rms_norm_like(child)
            if found:
                setattr(parent, child_name, _RmsNorm(child.weight, *found))
                count += 1
    return count


def rotation_matrix(dim):
    """[dim, dim] linear weight W with x @ W.T == rotate_half(x) = cat(-x[..., h:], x[..., :h])."""
    half = dim // 2
    weight = torch.zeros(dim, dim)
    weight[:half, half:] = -torch.eye(half)
    weight[half:, :half] = torch.eye(half)
    return weight


# rotary dimension -> the StaticCacheLM whose `rotation` buffer rotate_half multiplies by (the
# newest one: the program traced is a buffer of the module exported, and eager runs only need
# the values, which are the same for every owner of a dimension)
_ROTATION_OWNERS = {}


def _rotate_half(x):
    owner = _ROTATION_OWNERS.get(x.shape[-1])
    if owner is None:  # a model of the same family, not wrapped: transformers' own formula
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return torch.nn.functional.linear(x, owner.rotation.to(x.dtype))


def _use_rotation_matmul(model, owner):
    """Makes rotate_half (of the rotary embedding) in each transformers family module the model
    uses a product with owner.rotation: exact (one ±1 per row), and XNNPACK takes it, while the
    slices of the last dimension it replaces stay outside XNNPACK with dynamic shapes and cut
    each layer's projections into three delegate partitions."""
    import sys

    _ROTATION_OWNERS[owner.rotation.shape[0]] = owner
    for module in {sys.modules[type(m).__module__] for m in model.modules()}:
        if module.__name__.startswith("transformers.models.") and callable(getattr(module, "rotate_half", None)):
            module.rotate_half = _rotate_half


class _LayerCaches:
    """What the transformers layers see as `past_key_values`: update() writes the new keys and
    values in place and returns the filled prefix. Plain object (not a Module) so the buffers
    stay owned by the wrapper."""

    def __init__(self, owner):
        self._owner = owner
        self.cache_position = None
        self.length = None

    def update(self, key_states, value_states, layer_idx, cache_kwargs=None):
        keys = getattr(self._owner, f"key_cache_{layer_idx}")
        values = getattr(self._owner, f"value_cache_{layer_idx}")
        # index_put_ itself, not `keys[:, positions] = ...`: item assignment drops the values'
        # leading 1s (one key/value head), which the runtime's in-place case does not broadcast
        torch.ops.aten.index_put_(keys, [None, self.cache_position], key_states.flatten(0, 1))
        torch.ops.aten.index_put_(values, [None, self.cache_position], value_states.flatten(0, 1))
        # the prefix attention reads (the filled positions rounded up to whole blocks), copied by
        # one slice (never a view of the buffer: a view read after the in-place update gives
        # stale data in portable programs), in the buffers' own 3-D layout (grouped_attention
        # with cache_layout="kv_heads_first" takes it as it is)
        return keys[:, :self.length], values[:, :self.length]

    # transformers asks caches a few questions; answer them for a static cache
    def get_seq_length(self, layer_idx=0):
        return 0

    @property
    def is_compileable(self):
        return True


class StaticCacheLM(torch.nn.Module):
    """forward(input_ids[1, n], cache_position[n]) -> logits[1, 1, vocab] (the last position's)."""

    def __init__(self, model, max_seq_len: int):
        super().__init__()
        _register_attention()
        model.set_attn_implementation(ATTENTION)
        replace_rms_norms(model)
        self.model = model
        config = model.config.get_text_config()
        self.max_seq_len = max_seq_len
        heads = config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
        dtype = next(model.parameters()).dtype
        for i in range(config.num_hidden_layers):
            self.register_buffer(f"key_cache_{i}", torch.zeros(kv_heads, max_seq_len, head_dim, dtype=dtype))
            self.register_buffer(f"value_cache_{i}", torch.zeros(kv_heads, max_seq_len, head_dim, dtype=dtype))
        self.register_buffer("positions", torch.arange(max_seq_len), persistent=False)
        rotary_dim = int(head_dim * getattr(config, "partial_rotary_factor", 1.0))
        self.register_buffer("rotation", rotation_matrix(rotary_dim).to(dtype), persistent=False)
        _use_rotation_matmul(model, self)
        self.groups = heads // kv_heads
        self.layer_types = getattr(config, "layer_types", None)
        self.sliding_window = getattr(config, "sliding_window", None)
        self._caches = _LayerCaches(self)

    def cache_buffer_names(self):
        return [name for name, _ in self.named_buffers() if name.startswith(("key_cache_", "value_cache_"))]

    def _mask(self, cache_position, length, window=None):
        """Additive [1, 1, groups * n, length]: a row per query of each key/value head's group
        (grouped_attention's kv_heads_first layout; 4-D, so transformers passes it through)."""
        keys = self.positions[:length].unsqueeze(0)  # [1, length]
        queries = cache_position if self.groups == 1 else torch.cat([cache_position] * self.groups)
        queries = queries.unsqueeze(1)  # [groups * n, 1]
        allowed = keys <= queries
        if window:
            allowed = allowed & (keys > queries - window)
        zero = torch.zeros((), dtype=self.key_cache_0.dtype)
        neg = torch.full((), torch.finfo(self.key_cache_0.dtype).min, dtype=self.key_cache_0.dtype)
        return torch.where(allowed, zero, neg).reshape(1, 1, -1, length)

    def forward(self, input_ids, cache_position):
        n = input_ids.shape[1]
        start = cache_position[0].item()
        torch._check_is_size(start)
        torch._check(start + n <= self.max_seq_len)
        # the prefix rounded up to whole blocks (masked past the prefix: cache slots not yet
        # written are zeros or an earlier generation's values, weighted 0 by the softmax)
        length = torch.sym_min((start + n + ATTENTION_BLOCK - 1) // ATTENTION_BLOCK * ATTENTION_BLOCK, self.max_seq_len)
        self._caches.cache_position = cache_position
        self._caches.length = length
        mask = self._mask(cache_position, length)
        if self.layer_types and self.sliding_window and "sliding_attention" in self.layer_types:
            mask = {"full_attention": mask, "sliding_attention": self._mask(cache_position, length, self.sliding_window)}
        out = self.model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=cache_position.unsqueeze(0),
            cache_position=cache_position,
            past_key_values=self._caches,
            use_cache=True,
            logits_to_keep=1,
            cache_layout="kv_heads_first",
        )
        return out.logits
