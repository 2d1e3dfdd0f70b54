"""Read PyTorch ``.pth`` files with NumPy only: a restricted unpickler, no torch, no pickle code run.

``load(path)`` returns what ``torch.load`` would, as plain Python: dicts (``OrderedDict``
state_dicts become ``dict``), lists, tuples, numbers, strings, and every tensor as a NumPy array
in torch layout (NCHW activations, OIHW conv weights, IOHW transposed-conv weights, (out, in)
linear weights), C-contiguous, dtype from the storage (float32 for ``FloatStorage``, int64 for
``LongStorage``, ...; bfloat16 is widened to float32 since NumPy has no bfloat16).

Two container formats are read:

* **legacy** (torch < 1.6, and ``_use_new_zipfile_serialization=False``; the 2019 MSGAN release):
  five records back to back -- a pickled magic number, a pickled protocol version (1001), a
  pickled ``sys_info`` dict (byte order), the pickled object whose storages are persistent ids
  ``('storage', StorageType, key, location, numel, view_metadata)``, a pickled list of storage
  keys, then per key an int64 element count and the raw storage bytes.
* **zip** (torch >= 1.6): ``<archive>/data.pkl`` with persistent ids
  ``('storage', StorageType, key, location, numel)`` and one ``<archive>/data/<key>`` record per
  storage, raw little-endian bytes (``<archive>/byteorder`` says otherwise when present).

The unpickler resolves only the globals a tensor checkpoint needs (``_ALLOWED_GLOBALS``: tensor
rebuild functions, typed storage classes, ``collections.OrderedDict``), each to a function of
this module, never to torch's own; any other global is refused with a one-line ``ValueError``
naming it and the file. Damaged files (truncated, not a torch file, a tensor reaching past its
storage) are one-line ``ValueError``s naming the file as well.
"""
import collections
import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

# Typed storage classes as torch pickles them (GLOBAL 'torch FloatStorage', ...) -> NumPy dtype.
# bfloat16 has no NumPy dtype: it is read as uint16 bits and widened to float32 (see _widen).
_STORAGE_DTYPES = {
    "DoubleStorage": "f8",
    "FloatStorage": "f4",
    "HalfStorage": "f2",
    "BFloat16Storage": "u2",
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class _StorageType:
    """What the unpickler hands back for ``torch.<X>Storage``: a dtype tag, not callable."""

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name])

    def __repr__(self):
        return f"torch.{self.name}"


class _Storage:
    """One storage record: its dtype, element count, and (once read) its flat NumPy array."""

    def __init__(self, key, storage_type, numel):
        self.key = key
        self.storage_type = storage_type
        self.numel = numel
        self.array = None


class _StorageView:
    """Legacy view metadata: ``numel`` elements of ``root`` starting at element ``offset``."""

    def __init__(self, root, offset, numel):
        self.root, self.offset, self.numel = root, offset, numel


class _PendingTensor:
    """A tensor whose storage bytes may not be read yet (legacy files store them last)."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, int(offset)
        self.size, self.stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)


class _StateDict(collections.OrderedDict):
    """Stand-in for ``collections.OrderedDict``: accepts and drops the ``_metadata`` attribute
    that ``nn.Module.state_dict()`` pickles (module versions), then becomes a plain ``dict``."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(f"unexpected OrderedDict state of type {type(state).__name__}")


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    """``torch._utils._rebuild_tensor`` / ``_rebuild_tensor_v2`` (requires_grad, hooks, metadata
    are ignored: a checkpoint's tensors are data)."""
    if not isinstance(storage, (_Storage, _StorageView)):
        raise pickle.UnpicklingError("tensor rebuilt from something that is not a storage")
    return _PendingTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *_ignored):
    """``torch._utils._rebuild_parameter``: an ``nn.Parameter`` is its tensor here."""
    return data


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): _StateDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES},
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, source_name, storages, zip_layout):
        super().__init__(file)
        self.source_name = source_name
        self.storages = storages
        self.zip_layout = zip_layout

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise ValueError(f"refusing to unpickle global '{module}.{name}' in {self.source_name}") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r:.80}")
        expected = 5 if self.zip_layout else 6
        if len(pid) != expected:
            raise pickle.UnpicklingError(f"storage id with {len(pid)} fields, expected {expected}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"storage id names {storage_type!r:.60}, not a storage type")
        storage = self.storages.setdefault(str(key), _Storage(str(key), storage_type, int(numel)))
        view_metadata = None if self.zip_layout else pid[5]
        if view_metadata is None:
            return storage
        _view_key, offset, view_numel = view_metadata
        return _StorageView(storage, int(offset), int(view_numel))


def _widen(array, storage_type):
    if storage_type.name == "BFloat16Storage":
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array


def _materialize(tensor, source_name):
    storage, offset = tensor.storage, tensor.offset
    if isinstance(storage, _StorageView):
        storage, offset = storage.root, offset + storage.offset
    if storage.array is None:
        raise ValueError(f"storage '{storage.key}' has no data in {source_name}")
    if any(s < 0 for s in tensor.size + tensor.stride) or len(tensor.size) != len(tensor.stride):
        raise ValueError(f"tensor on storage '{storage.key}' has a bad size/stride in {source_name}")
    numel = int(np.prod(tensor.size, dtype=np.int64))
    last = offset + sum((n - 1) * s for n, s in zip(tensor.size, tensor.stride)) if numel else offset - 1
    if offset < 0 or last >= storage.array.size:
        raise ValueError(
            f"tensor of shape {tensor.size} reaches past storage '{storage.key}' "
            f"({storage.array.size} elements) in {source_name}")
    flat = storage.array
    itemsize = flat.itemsize
    view = np.lib.stride_tricks.as_strided(
        flat[offset:], shape=tensor.size, strides=tuple(s * itemsize for s in tensor.stride), writeable=False)
    return _widen(np.array(view, copy=True, order="C"), storage.storage_type)


def _resolve(obj, source_name):
    """Replace pending tensors by arrays and OrderedDicts by dicts, recursively."""
    if isinstance(obj, _PendingTensor):
        return _materialize(obj, source_name)
    if isinstance(obj, dict):
        return {key: _resolve(value, source_name) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_resolve(value, source_name) for value in obj]
    if isinstance(obj, tuple):
        return tuple(_resolve(value, source_name) for value in obj)
    if isinstance(obj, (_Storage, _StorageView, _StorageType)):
        raise ValueError(f"{source_name} holds a bare storage, not a tensor checkpoint")
    return obj


def _storage_array(raw, storage, byteorder, source_name):
    expected = storage.numel * storage.storage_type.dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"{source_name} is truncated: storage '{storage.key}' has {len(raw)} of {expected} bytes")
    dtype = storage.storage_type.dtype.newbyteorder("<" if byteorder == "little" else ">")
    return np.frombuffer(raw, dtype=dtype).astype(storage.storage_type.dtype, copy=False)


def _load_zip(path, source_name):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [name for name in names if name.endswith("data.pkl") and name.count("/") <= 1]
        if len(pickles) != 1:
            raise ValueError(f"{source_name} is a zip file but not a torch checkpoint (no single data.pkl)")
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = archive.read(prefix + "byteorder").decode("ascii").strip()
        storages = {}
        obj = _RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])), source_name, storages, True).load()
        for key, storage in storages.items():
            record = f"{prefix}data/{key}"
            if record not in names:
                raise ValueError(f"storage record '{record}' is missing from {source_name}")
            expected = storage.numel * storage.storage_type.dtype.itemsize
            if archive.getinfo(record).file_size != expected:  # checked before reading: no zip bombs
                raise ValueError(f"{source_name}: storage record '{record}' holds "
                                 f"{archive.getinfo(record).file_size} bytes, its tensor needs {expected}")
            storage.array = _storage_array(archive.read(record), storage, byteorder, source_name)
    return obj, storages


def _remaining(stream):
    """Bytes left in a seekable binary stream."""
    here = stream.tell()
    end = stream.seek(0, 2)
    stream.seek(here)
    return end - here


def _load_legacy(stream, source_name):
    def unpickle(storages):
        return _RestrictedUnpickler(stream, source_name, storages, False).load()

    if unpickle({}) != _LEGACY_MAGIC:
        raise ValueError(f"{source_name} is not a torch checkpoint (no legacy magic number, not a zip file)")
    protocol = unpickle({})
    if protocol != _LEGACY_PROTOCOL:
        raise ValueError(f"{source_name}: unsupported legacy torch protocol {protocol!r}")
    sys_info = unpickle({})
    byteorder = "little" if sys_info.get("little_endian", True) else "big"
    storages = {}
    obj = unpickle(storages)
    keys = unpickle({})
    count_format = "<q" if byteorder == "little" else ">q"
    for key in keys:
        storage = storages.get(str(key))
        if storage is None:
            raise ValueError(f"{source_name}: storage '{key}' is listed but no tensor uses it")
        header = stream.read(8)
        if len(header) != 8:
            raise ValueError(f"{source_name} is truncated before storage '{key}'")
        numel = struct.unpack(count_format, header)[0]
        if numel != storage.numel:
            raise ValueError(f"{source_name}: storage '{key}' holds {numel} elements, its id says {storage.numel}")
        size = numel * storage.storage_type.dtype.itemsize
        if size > _remaining(stream):  # checked before reading: a forged count allocates nothing
            raise ValueError(f"{source_name} is truncated: storage '{key}' needs {size} bytes, "
                             f"{_remaining(stream)} remain")
        raw = stream.read(size)
        storage.array = _storage_array(raw, storage, byteorder, source_name)
    return obj, storages


def checkpoint_format(path):
    """``"zip"`` (torch >= 1.6) or ``"legacy"`` (the pre-1.6 stream), from the first bytes of ``path``."""
    with open(path, "rb") as stream:
        return "zip" if stream.read(4) == b"PK\x03\x04" else "legacy"


def load(path):
    """Read a torch checkpoint (legacy or zip format) without torch and without running pickle code.

    Args:
        path: a ``.pth`` / ``.pt`` / ``.ckpt`` file written by ``torch.save``.

    Returns:
        The saved object as plain Python: ``dict`` (for ``OrderedDict`` too), ``list``, ``tuple``,
        ``int``, ``float``, ``str``, ``bool``, ``None``; every tensor a C-contiguous NumPy array in
        torch layout and dtype (bfloat16 widened to float32).

    Raises:
        ValueError: one line naming the file and the problem: a global other than the tensor
            rebuild functions, storage types and ``collections.OrderedDict`` (``refusing to
            unpickle global 'os.system' in x.pth``), a truncated or damaged file, or a file that is
            not a torch checkpoint. ``FileNotFoundError`` when ``path`` does not exist.
    """
    path = Path(path)
    source_name = path.name
    is_zip = checkpoint_format(path) == "zip"
    with open(path, "rb") as stream:
        try:
            if is_zip:
                obj, _ = _load_zip(stream, source_name)
            else:
                obj, _ = _load_legacy(stream, source_name)
        except ValueError:
            raise
        except zipfile.BadZipFile as error:
            raise ValueError(f"{source_name} is truncated or damaged (zip: {error})") from None
        except (EOFError, pickle.UnpicklingError, struct.error, IndexError, KeyError, TypeError,
                AttributeError, UnicodeDecodeError, OverflowError, MemoryError) as error:
            detail = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ValueError(f"{source_name} is truncated or not a torch checkpoint ({detail})") from None
    return _resolve(obj, source_name)
