"""Package attributes that import their module on first use (PEP 562), shared by ``zoo`` and ``export``."""
import importlib
import sys


def lazy_attributes(package, table):
    """``(__getattr__, __dir__)`` for ``package`` whose attribute ``name`` lives in module ``table[name]``.

    The first access imports the module and caches the value in the package; unknown names raise
    the usual ``AttributeError``.
    """

    def __getattr__(name):
        if name in table:
            value = getattr(importlib.import_module(table[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__
