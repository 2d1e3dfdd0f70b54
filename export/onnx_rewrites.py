"""Exact rewrites of a tf2onnx generator graph that make ONNX Runtime's CPU kernels do less work.

Both rewrites are algebraic identities on the trained weights (outputs agree to float32
rounding; the export's parity tests check 1e-4) and need the spatial sizes to be static, which
they are for every zoo generator (only the batch is dynamic):

* :func:`noise_planes_to_bias` -- a convolution whose input is ``concat(x, tile(z))`` (the
  noise tiled over the grid, as BicycleGAN's "add to all" U-Net does at every down block) is
  ``conv(x, W_x) + conv(tile(z), W_z)``, and the second term is linear in the *vector* z:
  ``z @ M`` with ``M[c] = conv(ones_plane, W_z[:, c])`` (the border taps that fall on zero
  padding are what make ``M`` vary over the grid). The tiled planes, their concat and their
  share of the convolution's multiply-adds disappear; a ``(N, nz) x (nz, C_out H W)`` matmul
  replaces them. An element-wise activation between the concat and the convolution (the
  U-Net's LeakyReLU) is applied to the two parts separately.
* :func:`small_convs_to_matmul` -- a ``Conv``/``ConvTranspose`` on a tiny grid (a U-Net's
  innermost 1x1 and 2x2 blocks) is a dense linear map ``(C_in H W) -> (C_out H' W')``: one
  batched matmul instead of ONNX Runtime's per-image GEMM + col2im, which runs these shapes at
  a few GFLOP/s. The dense matrix is built by running the node itself on the identity basis,
  so it has the node's exact semantics (pads, strides, output padding); it is used only while
  it stays small (``max_entries``) and costs at most ``max_flop_ratio`` times the node's MACs.
"""
import numpy as np

ELEMENTWISE_ACTIVATIONS = ("LeakyRelu", "Relu")
NHWC_TO_NCHW = [0, 3, 1, 2]


class _Graph:
    """Index of a graph's producers, consumers, initializers and static shapes."""

    def __init__(self, model):
        import onnx

        self.model = model
        self.graph = model.graph
        inferred = onnx.shape_inference.infer_shapes(model)
        self.shapes = {}
        for value in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
            dims = value.type.tensor_type.shape.dim
            self.shapes[value.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
        self.refresh()

    def refresh(self):
        self.producer = {out: node for node in self.graph.node for out in node.output}
        self.consumers = {}
        for node in self.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.initializers = {init.name: init for init in self.graph.initializer}
        self.outputs = {value.name for value in self.graph.output}

    def single_use(self, name):
        """Read by exactly one node (which may read it twice, as ``Mul(d, d)``), not a graph output."""
        return len({id(node) for node in self.consumers.get(name, [])}) == 1 and name not in self.outputs

    def constant(self, name):
        from onnx import numpy_helper

        return numpy_helper.to_array(self.initializers[name]) if name in self.initializers else None

    def add_constant(self, name, array):
        from onnx import numpy_helper

        name = self.unique(name)
        self.graph.initializer.append(numpy_helper.from_array(np.asarray(array), name))
        self.initializers[name] = self.graph.initializer[-1]
        return name

    def unique(self, name):
        taken = set(self.initializers) | set(self.producer) | {v.name for v in self.graph.input}
        candidate, i = name, 0
        while candidate in taken:
            i += 1
            candidate = f"{name}_{i}"
        return candidate

    def to_grid(self, flat, output, chw):
        """A ``Reshape`` node ``flat (N, C*H*W) -> output (N, C, H, W)``."""
        import onnx

        shape = self.add_constant(f"{output.replace(':', '_')}__grid_shape", np.array([-1, *chw], np.int64))
        return onnx.helper.make_node("Reshape", [flat, shape], [output], name=self.unique(f"{output}__to_grid"))

    def replace(self, old_nodes, new_nodes):
        """Swap ``old_nodes`` for ``new_nodes``, keep the graph sorted, drop what became dead."""
        for node in old_nodes:
            self.graph.node.remove(node)
        self.graph.node.extend(new_nodes)
        _toposort(self)
        _drop_dead(self)
        self.refresh()

    def attribute(self, node, name, default=None):
        import onnx

        for attr in node.attribute:
            if attr.name == name:
                return onnx.helper.get_attribute_value(attr)
        return default


def _conv_attrs(graph, node):
    return {attr: graph.attribute(node, attr) for attr in ("dilations", "group", "kernel_shape", "pads", "strides",
                                                            "output_padding", "output_shape", "auto_pad")
            if graph.attribute(node, attr) is not None}


def _ones_response(kernel, in_hw, attrs):
    """``(C_out, C_in, H', W')``: the Conv's response to an all-ones plane, one input channel at a time."""
    import onnx
    import onnxruntime as ort

    c_out, c_in = kernel.shape[:2]
    node = onnx.helper.make_node("Conv", ["x", "w"], ["y"], **attrs)
    # Every (o, c) kernel slice becomes its own output channel of a one-channel convolution.
    per_slice = kernel.reshape(c_out * c_in, 1, *kernel.shape[2:]).astype(np.float32)
    graph = onnx.helper.make_graph(
        [node], "ones_response",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, *in_hw])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [onnx.numpy_helper.from_array(per_slice, "w")])
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    out = session.run(None, {"x": np.ones((1, 1, *in_hw), np.float32)})[0]
    return out.reshape(c_out, c_in, *out.shape[2:])


def _noise_source(g, name):
    """``(vector_name, k, transposed)`` if ``name`` is z tiled over the grid, else None.

    Matches ``Expand(v)`` with ``v`` of static shape ``(N, 1, 1, k)`` (NHWC), optionally
    followed by a ``Transpose`` to NCHW.
    """
    node = g.producer.get(name)
    transposed = False
    if node is not None and node.op_type == "Transpose" and list(g.attribute(node, "perm", [])) == NHWC_TO_NCHW:
        if not g.single_use(node.input[0]):
            return None
        node, transposed = g.producer.get(node.input[0]), True
    if node is None or node.op_type != "Expand" or not g.single_use(node.output[0]):
        return None
    shape = g.shapes.get(node.input[0])
    if not shape or len(shape) != 4 or shape[1:3] != [1, 1] or not shape[3]:
        return None
    return node.input[0], shape[3], transposed


def _replay(g, links, source, prefix, nodes):
    """Append copies of the one-input nodes ``links`` applied in turn to ``source``; returns the last output."""
    import onnx

    for link in links:
        out = g.unique(f"{prefix}_{link.op_type.lower()}")
        copy = onnx.helper.make_node(link.op_type, [source], [out], name=out)
        copy.attribute.extend(link.attribute)
        nodes.append(copy)
        source = out
    return source


def noise_planes_to_bias(model, max_entries=1 << 24):
    """Rewrite every ``Conv(act(concat(x, tile(z))))`` as ``Conv(act(x)) + act(z) @ M``; returns the count.

    ``M`` is ``(k, C_out)`` for a 1x1 convolution without padding (the same at every position)
    and ``(k, C_out H' W')`` otherwise, where it is built only while it has at most
    ``max_entries`` entries (64 MB of float32).
    """
    import onnx

    g = _Graph(model)
    rewritten = 0
    for output in [node.output[0] for node in g.graph.node if node.op_type == "Conv"]:
        conv = g.producer.get(output)  # fresh: every rewrite rebuilds the node list
        if conv is None or g.attribute(conv, "group", 1) != 1 or conv.input[1] not in g.initializers:
            continue
        chain, name = [], conv.input[0]
        node = g.producer.get(name)
        while node is not None and node.op_type in ELEMENTWISE_ACTIVATIONS + ("Transpose",) and g.single_use(name):
            if node.op_type == "Transpose" and list(g.attribute(node, "perm", [])) != NHWC_TO_NCHW:
                break
            chain.append(node)
            name = node.input[0]
            node = g.producer.get(name)
        if node is None or node.op_type != "Concat" or len(node.input) != 2 or not g.single_use(name):
            continue
        concat = node
        nhwc = any(n.op_type == "Transpose" for n in chain)
        if [n.op_type for n in chain].count("Transpose") > 1:
            continue
        axis = g.attribute(concat, "axis")
        rank_shape = g.shapes.get(concat.output[0])
        if not rank_shape or len(rank_shape) != 4 or axis % 4 != (3 if nhwc else 1):
            continue
        sources = [_noise_source(g, i) for i in concat.input]
        if sum(s is not None for s in sources) != 1:
            continue
        z_index = 0 if sources[0] is not None else 1
        vector, k, z_transposed = sources[z_index]
        if z_transposed == nhwc:  # the planes must reach the concat in the concat's own layout
            continue
        x_name = concat.input[1 - z_index]
        kernel = g.constant(conv.input[1]).astype(np.float32)
        in_shape = g.shapes.get(conv.input[0])
        out_shape = g.shapes.get(conv.output[0])
        if not in_shape or not out_shape or None in in_shape[1:] or None in out_shape[1:]:
            continue
        c_x = kernel.shape[1] - k
        kernel_x = kernel[:, k:] if z_index == 0 else kernel[:, :c_x]
        kernel_z = kernel[:, :k] if z_index == 0 else kernel[:, c_x:]
        attrs = _conv_attrs(g, conv)
        c_out, h_out, w_out = out_shape[1:]
        if kernel.shape[2:] == (1, 1) and not any(attrs.get("pads", ())) and attrs.get("strides", [1, 1]) == [1, 1]:
            # A 1x1 convolution (DRIT's MisINSResBlock MLPs) sees the same z at every position:
            # M is (k, C_out), the bias broadcasts over the grid. Building M over the grid would
            # take k * C_out * H' * W' floats (1.5 GB per block at DRIT's official widths).
            matrix, grid = kernel_z[:, :, 0, 0].T.copy(), (c_out, 1, 1)
        elif k * c_out * h_out * w_out > max_entries:
            continue
        else:
            response = _ones_response(kernel_z, in_shape[2:], attrs)  # (C_out, k, H', W')
            matrix, grid = np.transpose(response, (1, 0, 2, 3)).reshape(k, c_out * h_out * w_out), (c_out, h_out, w_out)

        prefix = conv.output[0].replace(":", "_")
        nodes = []
        # x branch: the same chain without the concat, then the conv on W_x.
        x = _replay(g, reversed(chain), x_name, f"{prefix}__x", nodes)
        conv_x = g.unique(f"{prefix}__x_conv")
        nodes.append(onnx.helper.make_node(
            "Conv", [x, g.add_constant(f"{prefix}__kernel_x", kernel_x), *conv.input[2:3]], [conv_x], name=conv_x,
            **attrs))
        # z branch: the vector, the same activations, one matmul, back to (N, C_out, H', W').
        z = g.unique(f"{prefix}__z")
        z_shape = g.add_constant(f"{prefix}__z_shape", np.array([-1, k], np.int64))
        nodes.append(onnx.helper.make_node("Reshape", [vector, z_shape], [z], name=z))
        z = _replay(g, [link for link in reversed(chain) if link.op_type != "Transpose"], z, f"{prefix}__z", nodes)
        z_flat = g.unique(f"{prefix}__z_bias_flat")
        nodes.append(onnx.helper.make_node("MatMul", [z, g.add_constant(f"{prefix}__z_matrix", matrix)], [z_flat],
                                           name=z_flat))
        z_bias = g.unique(f"{prefix}__z_bias")
        nodes.append(g.to_grid(z_flat, z_bias, grid))
        nodes.append(onnx.helper.make_node("Add", [conv_x, z_bias], [conv.output[0]], name=g.unique(f"{prefix}__add")))

        g.replace([conv, *chain, concat], nodes)
        rewritten += 1
    return rewritten


def _dense_matrix(node, in_shape, kernel):
    """``(C_in H W, C_out H' W')``: ``node`` (no bias) applied to the identity basis."""
    import onnx
    import onnxruntime as ort

    c, h, w = in_shape
    size = c * h * w
    attrs = {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}
    single = onnx.helper.make_node(node.op_type, ["x", "w"], ["y"], **attrs)
    graph = onnx.helper.make_graph(
        [single], "dense",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [size, c, h, w])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [onnx.numpy_helper.from_array(kernel.astype(np.float32), "w")])
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    out = session.run(None, {"x": np.eye(size, dtype=np.float32).reshape(size, c, h, w)})[0]
    return out.reshape(size, -1), out.shape[1:]


def small_convs_to_matmul(model, max_entries=1 << 22, max_flop_ratio=2.0):
    """Replace ``Conv``/``ConvTranspose`` nodes on tiny static grids by one matmul; returns the count."""
    import onnx

    g = _Graph(model)
    rewritten = 0
    for output in [node.output[0] for node in g.graph.node if node.op_type in ("Conv", "ConvTranspose")]:
        conv = g.producer.get(output)  # fresh: every rewrite rebuilds the node list
        if conv is None or conv.op_type not in ("Conv", "ConvTranspose") or conv.input[1] not in g.initializers:
            continue
        in_shape, out_shape = g.shapes.get(conv.input[0]), g.shapes.get(conv.output[0])
        if not in_shape or not out_shape or len(in_shape) != 4 or None in in_shape[1:] or None in out_shape[1:]:
            continue
        kernel = g.constant(conv.input[1])
        inputs, outputs = int(np.prod(in_shape[1:])), int(np.prod(out_shape[1:]))
        group = g.attribute(conv, "group", 1)
        if conv.op_type == "Conv":
            node_macs = outputs * kernel.shape[1] * int(np.prod(kernel.shape[2:]))
        else:
            node_macs = inputs * kernel.shape[1] * group * int(np.prod(kernel.shape[2:]))
        if inputs * outputs > max_entries or inputs * outputs > max_flop_ratio * node_macs:
            continue
        matrix, (c_out, h_out, w_out) = _dense_matrix(conv, in_shape[1:], kernel)
        prefix = conv.output[0].replace(":", "_")
        flat = g.unique(f"{prefix}__flat")
        product = g.unique(f"{prefix}__matmul")
        nodes = [onnx.helper.make_node("Flatten", [conv.input[0]], [flat], name=flat, axis=1),
                 onnx.helper.make_node("MatMul", [flat, g.add_constant(f"{prefix}__dense", matrix)], [product],
                                       name=product)]
        if len(conv.input) > 2 and conv.input[2]:
            bias = np.repeat(g.constant(conv.input[2]).astype(np.float32), h_out * w_out)
            biased = g.unique(f"{prefix}__biased")
            nodes.append(onnx.helper.make_node("Add", [product, g.add_constant(f"{prefix}__dense_bias", bias)],
                                               [biased], name=biased))
            product = biased
        nodes.append(g.to_grid(product, conv.output[0], (c_out, h_out, w_out)))
        g.replace([conv], nodes)
        rewritten += 1
    return rewritten


def _drop_dead(g):
    """Remove nodes whose outputs nobody reads, then unused initializers."""
    changed = True
    while changed:
        used = {name for node in g.graph.node for name in node.input} | {v.name for v in g.graph.output}
        dead = [node for node in g.graph.node if not any(out in used for out in node.output)]
        for node in dead:
            g.graph.node.remove(node)
        changed = bool(dead)
    used = {name for node in g.graph.node for name in node.input}
    for init in [init for init in g.graph.initializer if init.name not in used]:
        g.graph.initializer.remove(init)
    g.initializers = {init.name: init for init in g.graph.initializer}


def _toposort(g):
    """Order ``g``'s nodes so that every node follows the producers of its inputs (stable)."""
    available = {v.name for v in g.graph.input} | set(g.initializers) | {""}
    pending, ordered = list(g.graph.node), []
    while pending:
        ready = [node for node in pending if all(name in available for name in node.input)]
        if not ready:
            raise ValueError("the rewritten ONNX graph has a cycle or a missing input")
        for node in ready:
            ordered.append(node)
            available.update(node.output)
        pending = [node for node in pending if node not in ready]
    copies = [type(node)() for node in ordered]
    for copy, node in zip(copies, ordered):
        copy.CopyFrom(node)
    del g.graph.node[:]
    g.graph.node.extend(copies)

