"""Lazy attribute loading for packages (PEP 562).

``import instransfer`` must stay cheap (< 0.3 s over ``sklearn.base``): public
names are resolved on first access, so ``scipy.optimize``, ``sklearn.neighbors``
or matplotlib are imported only by code that uses them.
"""

import importlib


def attach(package_name, mapping):
    """Return ``__getattr__``, ``__dir__`` and ``__all__`` for a package.

    Parameters
    ----------
    package_name : str
        ``__name__`` of the package.
    mapping : dict of str to str
        Public name -> relative module that defines it (``"._kmm"``), or
        ``"."`` + submodule name for a subpackage exposed as an attribute.
    """

    def __getattr__(name):
        if name not in mapping:
            raise AttributeError(f"module {package_name!r} has no attribute {name!r}")
        target = mapping[name]
        module = importlib.import_module(target, package_name)
        if target.lstrip(".") == name:  # a submodule exposed as an attribute
            return module
        return getattr(module, name)

    def __dir__():
        return sorted(mapping)

    return __getattr__, __dir__, sorted(mapping)
