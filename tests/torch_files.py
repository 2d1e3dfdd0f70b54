"""Write small files in torch's checkpoint formats without torch, for the converter tests.

``save(path, obj, layout="legacy" | "zip")`` writes ``obj`` (dicts, lists, numbers, NumPy arrays,
:class:`TorchTensor` views) the way ``torch.save`` lays it out: the legacy format (magic number,
protocol 1001, sys_info, the pickle with ``('storage', ...)`` persistent ids, the storage keys, raw
storages) or the zip format (``<name>/data.pkl`` + ``<name>/data/<key>``). Tensors are pickled
as ``torch._utils._rebuild_tensor_v2`` calls on ``torch.<X>Storage`` and state dicts as
``collections.OrderedDict``: the globals real checkpoints contain.
"""
import collections
import io
import pickle
import struct
import zipfile

import numpy as np

STORAGE_NAMES = {
    np.dtype("f4"): "FloatStorage", np.dtype("f8"): "DoubleStorage", np.dtype("f2"): "HalfStorage",
    np.dtype("i8"): "LongStorage", np.dtype("i4"): "IntStorage", np.dtype("i2"): "ShortStorage",
    np.dtype("i1"): "CharStorage", np.dtype("u1"): "ByteStorage", np.dtype("?"): "BoolStorage",
}


class Global:
    """A global reference pickled as ``GLOBAL 'module name'`` without importing the module."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce wants a callable; this one is only written
        raise RuntimeError(f"{self.module}.{self.name} is a reference, not a function")


class CallGlobal:
    """Pickles as ``module.name(*args)`` (a REDUCE on a GLOBAL): e.g. a malicious ``os.system``."""

    def __init__(self, module, name, args):
        self.func, self.args = Global(module, name), tuple(args)

    def __reduce__(self):
        return self.func, self.args


class StorageView:
    """A legacy-format storage view: ``numel`` elements of ``root`` from element ``offset``
    (PyTorch < 1.6 pickled such views with ``view_metadata``)."""

    def __init__(self, root, offset, numel):
        self.root, self.offset, self.numel = root, offset, numel


class TorchTensor:
    """A tensor as torch stores it: a flat ``storage`` (shared by identity), offset, size, stride."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    @classmethod
    def of(cls, array):
        array = np.array(array, order="C")  # (ascontiguousarray would turn 0-d into 1-d)
        strides = tuple(s // array.itemsize for s in array.strides)
        return cls(array.reshape(-1), 0, array.shape, strides)

    def __reduce__(self):
        return (Global("torch._utils", "_rebuild_tensor_v2"),
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class _TorchPickler(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, layout, storages):
        super().__init__(file, protocol=2)
        self.layout, self.storages = layout, storages

    def _save_global_ref(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[Global] = _save_global_ref

    def _save_ordered_dict(self, obj):
        state = dict(vars(obj)) or None  # nn.Module.state_dict() carries a `_metadata` attribute
        self.save_reduce(Global("collections", "OrderedDict"), (), state=state, dictitems=iter(obj.items()), obj=obj)

    dispatch[collections.OrderedDict] = _save_ordered_dict

    def persistent_id(self, obj):
        if isinstance(obj, StorageView):
            key = next(k for k, s in self.storages.items() if s is obj.root)
            view_key = f"{key}.view{obj.offset}"
            return ("storage", Global("torch", STORAGE_NAMES[obj.root.dtype]), key, "cpu", obj.root.size,
                    (view_key, obj.offset, obj.numel))
        if isinstance(obj, np.ndarray) and obj.ndim == 1 and any(obj is s for s in self.storages.values()):
            key = next(k for k, s in self.storages.items() if s is obj)
            storage_type = Global("torch", STORAGE_NAMES[obj.dtype])
            if self.layout == "zip":
                return ("storage", storage_type, key, "cpu", obj.size)
            return ("storage", storage_type, key, "cpu", obj.size, None)
        return None


def _tensors_to_views(obj, storages):
    if isinstance(obj, np.ndarray):
        obj = TorchTensor.of(obj)
    if isinstance(obj, TorchTensor):
        root = obj.storage.root if isinstance(obj.storage, StorageView) else obj.storage
        if not any(root is s for s in storages.values()):
            storages[str(len(storages) + 94000000000000)] = root
        return obj
    if isinstance(obj, collections.OrderedDict):
        copy = collections.OrderedDict((k, _tensors_to_views(v, storages)) for k, v in obj.items())
        copy.__dict__.update(vars(obj))
        return copy
    if isinstance(obj, dict):
        return {k: _tensors_to_views(v, storages) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_tensors_to_views(v, storages) for v in obj)
    return obj


def _pickled(obj, layout, storages):
    buffer = io.BytesIO()
    _TorchPickler(buffer, layout, storages).dump(obj)
    return buffer.getvalue()


def save(path, obj, layout="legacy"):
    """Write ``obj`` to ``path`` in torch's ``layout`` ("legacy" or "zip"); arrays become tensors."""
    storages = {}
    obj = _tensors_to_views(obj, storages)
    data = _pickled(obj, layout, storages)
    if layout == "zip":
        name = str(path).rsplit("/", 1)[-1].split(".")[0]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(f"{name}/data.pkl", data)
            archive.writestr(f"{name}/byteorder", "little")
            for key, storage in storages.items():
                archive.writestr(f"{name}/data/{key}", storage.astype(storage.dtype.newbyteorder("<")).tobytes())
            archive.writestr(f"{name}/version", "3\n")
        return
    with open(path, "wb") as stream:
        stream.write(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2))
        stream.write(pickle.dumps(1001, protocol=2))
        stream.write(pickle.dumps({"protocol_version": 1001, "little_endian": True,
                                   "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2))
        stream.write(data)
        stream.write(pickle.dumps(list(storages), protocol=2))
        for storage in storages.values():
            stream.write(struct.pack("<q", storage.size))
            stream.write(storage.astype(storage.dtype.newbyteorder("<")).tobytes())
