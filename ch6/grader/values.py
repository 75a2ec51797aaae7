"""Extracted plain data as host values: tuples, sets, dicts, NumPy arrays, Keras models as read-only descriptions."""
import numpy as np


class EvalError(Exception):
    """A check expression failed on this copy's values; the message is the host's own, safe to show."""


class Described:
    """A Keras model, layer or history as extracted: attributes come from the description only."""

    def __init__(self, info: dict):
        self._info = info

    def __getattr__(self, attr):
        info = self.__dict__["_info"]
        if attr in info and attr not in ("kind", "class", "config"):
            value = info[attr]
            return (lambda: value) if attr == "count_params" else value
        config = info.get("config")
        if isinstance(config, dict) and attr in config:
            return config[attr]
        raise EvalError(f"the {info.get('class', 'object')} has no attribute {attr!r} that the grader can read")

    @property
    def type_name(self) -> str:
        return str(self._info.get("class", "object"))


class LargeArray(Described):
    """An array too large to extract: its shape, size and dtype can be checked, its values cannot."""

    def __len__(self):
        shape = self._info["shape"]
        if not shape:
            raise EvalError("len() of a 0-d array")
        return shape[0]


class Failed:
    """A named answer that could not be extracted, and why (the host's words)."""

    def __init__(self, reason: str):
        self.reason = reason


class TypeName:
    """What ``type(x)`` gives in a check: only its ``__name__``."""

    def __init__(self, name: str):
        self.__name__ = name


def _shape_tuple(shape):
    return tuple(shape) if isinstance(shape, list) else shape


def hydrate(value):
    """Tagged plain data from the sandbox as host values: tuples, sets, dicts, NumPy arrays, Keras descriptions."""
    if type(value) is list:
        return [hydrate(v) for v in value]
    if type(value) is not dict:
        return value
    if len(value) != 1:
        raise EvalError("malformed extracted value")
    (tag, inner), = value.items()
    if tag == "t":
        return tuple(hydrate(v) for v in inner)
    if tag == "s":
        try:
            return {hydrate(v) for v in inner}
        except TypeError:
            raise EvalError("a set of unhashable values") from None
    if tag == "d":
        return {k: hydrate(v) for k, v in inner.items()}
    if tag == "a":
        return _array(inner)
    if tag == "k":
        return _keras(inner)
    raise EvalError("malformed extracted value")


def _array(info: dict):
    dtype = np.dtype(str(info.get("dtype")))
    if dtype.kind not in "biufU":
        raise EvalError(f"arrays of dtype {dtype} are not graded")
    if info.get("data") is None:
        shape = tuple(info.get("shape") or ())
        return LargeArray({"class": "ndarray (too large to extract its values)", "shape": shape, "ndim": len(shape),
                           "size": int(np.prod(shape)), "dtype": str(dtype)})
    array = np.array(info["data"], dtype=dtype)
    if list(array.shape) != list(info.get("shape") or []):
        raise EvalError("malformed extracted array")
    return array


def _keras(info: dict):
    kind = info.get("kind")
    if kind == "array":
        return hydrate(info.get("value"))
    info = dict(info)
    if "layers" in info:
        info["layers"] = [hydrate(v) for v in info["layers"]]
    if "trainable_weights" in info:
        info["trainable_weights"] = [Described({"class": "Variable", "shape": _shape_tuple(w.get("shape"))})
                                     for w in info["trainable_weights"]]
    if "optimizer" in info:
        info["optimizer"] = Described({"class": "Optimizer", **info["optimizer"]})
    if "output_shape" in info:
        info["output_shape"] = _shape_tuple(info["output_shape"])
        info["output"] = Described({"class": "KerasTensor", "shape": info["output_shape"]})
    if kind == "history":
        info["history"] = hydrate(info.get("history"))
    return Described(info)
