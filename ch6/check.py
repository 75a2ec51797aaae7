"""The student-facing ``check()``: in a notebook it prints a tick or says what was expected.

Marks never come from here: the grader (``ch6.grader``) judges the extracted values outside the sandbox with
the same ``judge``. The plain-data helpers also run inside the sandboxed kernel.
"""
import builtins
import math

CRITERIA = ("equals", "close", "between", "isa")
_KINDS = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


# ------------------------------------------------------------------------------------------ criteria

def judge(value, *, equals=None, close=None, tol=1e-6, between=None, isa=None, **_):
    """Return (passed, reason) for a plain-data ``value`` against one criterion; strict about types."""
    if equals is not None:
        return _strict_equal(value, _lists(equals)), "expected a value equal to the answer"
    if close is not None:
        return _close(value, _lists(close), tol), f"expected a value within {tol} of the answer"
    if between is not None:
        lo, hi = between
        ok = _finite(value) and _safe(lambda: lo <= value <= hi)
        return ok, f"expected a number in [{lo}, {hi}]"
    if isa is not None:
        return type(value) is _KINDS[isa], f"expected a value of type {isa}"
    raise ValueError("check() needs one criterion: equals, close, between or isa")


def _lists(expected):
    """Tuples in an expected value become lists, as they do in extracted values."""
    if isinstance(expected, (list, tuple)):
        return [_lists(x) for x in expected]
    if isinstance(expected, dict):
        return {k: _lists(v) for k, v in expected.items()}
    return expected


def _strict_equal(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    return a == b


def _close(a, b, tol) -> bool:
    if isinstance(b, list):
        return type(a) is list and len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b))
    return _finite(a) and _safe(lambda: abs(a - b) <= tol)


def _finite(x) -> bool:
    """An exact int, or a finite float (an int of any size is finite; math.isfinite would overflow on 10**400)."""
    return type(x) is int or (type(x) is float and math.isfinite(x))


def _safe(compare) -> bool:
    """A numeric comparison that is False instead of raising (an int too large for a float, say)."""
    try:
        return bool(compare())
    except (OverflowError, TypeError, ValueError):
        return False


# --------------------------------------------------------------- plain data (also runs inside the sandbox)

def _kernel_side(builtins_dict):
    """Build (plain, wire, describe, encode) from types reached through literals, so patched builtins cannot fool them.

    Its source also runs in the sandboxed kernel before any student code, so it uses no global name.
    """
    T = (0).__class__.__class__
    INT, FLOAT, STR, BOOL, NONE = (0).__class__, (0.0).__class__, "".__class__, True.__class__, None.__class__
    LIST, TUPLE, DICT, SET, FROZENSET = [].__class__, ().__class__, {}.__class__, set().__class__, frozenset().__class__
    flags, name, module, mro, members = [T.__dict__[k].__get__
                                         for k in ("__flags__", "__name__", "__module__", "__mro__", "__dict__")]
    HEAP, SPECIAL, MAX_ELEMENTS = 1 << 9, {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}, 1 << 20
    MAX_DATA = 1 << 18                                   # larger arrays travel as shape and dtype only

    def numpy_tolist(kind):
        """The C ``tolist`` of a genuine NumPy array or scalar type (no Python subclass), else None."""
        for k in mro(kind):
            if flags(k) & HEAP:
                return None
        if module(kind) != "numpy":
            return None
        for k in mro(kind):
            if "tolist" in members(k):
                return members(k)["tolist"]
        return None

    def plain(value, depth=0):
        """``value`` as plain data: exact int/float/str/bool/None, lists (from tuples too), dicts with str keys."""
        kind = T(value)
        if kind is BOOL or kind is INT or kind is FLOAT or kind is STR or kind is NONE:
            return value
        if depth > 50:
            raise ValueError("value is nested too deeply")
        if kind is LIST or kind is TUPLE:
            return [plain(item, depth + 1) for item in value]
        if kind is DICT:
            out = {}
            for key, item in DICT.items(value):
                if T(key) is not STR:
                    raise TypeError("dict keys must be str")
                out[key] = plain(item, depth + 1)
            return out
        tolist = numpy_tolist(kind)
        if tolist is None:
            raise TypeError("not plain data: " + STR.__str__(name(kind)))
        return plain(tolist(value), depth + 1)

    def wire(value):
        """Plain data as one line of JSON whose strings are UTF-8 hex."""
        kind = T(value)
        if kind is NONE:
            return "null"
        if kind is BOOL:
            return "true" if value is True else "false"
        if kind is INT:
            return INT.__repr__(value)
        if kind is FLOAT:
            text = FLOAT.__repr__(value)
            return SPECIAL.get(text, text)
        if kind is STR:
            return '"' + STR.encode(value, "utf-8", "surrogatepass").hex() + '"'
        if kind is LIST:
            return "[" + ",".join([wire(item) for item in value]) + "]"
        return "{" + ",".join([wire(k) + ":" + wire(v) for k, v in DICT.items(value)]) + "}"

    def describe(err):
        """An exception as its class name only (nothing the student's code chose)."""
        return STR.__str__(name(T(err)))[:100]

    def attempt(make, default=None):
        try:
            return make()
        except builtins_dict["Exception"]:
            return default

    def foreign(kind):
        """Is ``kind`` a Keras, TensorFlow or JAX type (a model, layer, history, tensor or variable)?"""
        prefixes = ("keras", "tensorflow", "tf_keras", "jax")
        return builtins_dict["any"](STR.startswith(module(k), prefixes) for k in mro(kind))

    def encode(value, depth=0):
        """A named answer as tagged plain data: {"t"|"s"|"d"|"a"|"k": ...} for tuples, sets, dicts, arrays, Keras."""
        kind = T(value)
        if kind is BOOL or kind is INT or kind is FLOAT or kind is STR or kind is NONE:
            return value
        if depth > 50:
            raise ValueError("value is nested too deeply")
        if kind is LIST:
            return [encode(item, depth + 1) for item in value]
        if kind is TUPLE:
            return {"t": [encode(item, depth + 1) for item in value]}
        if kind is SET or kind is FROZENSET:
            return {"s": [encode(item, depth + 1) for item in value]}
        if kind is DICT:
            out = {}
            for key, item in DICT.items(value):
                if T(key) is not STR:
                    raise TypeError("dict keys must be str")
                out[key] = encode(item, depth + 1)
            return {"d": out}
        if module(kind) == "numpy" and name(kind) == "ndarray" and not flags(kind) & HEAP:
            shape = plain(members(kind)["shape"].__get__(value))
            size = members(kind)["size"].__get__(value)
            dtype = STR.__str__(builtins_dict["str"](members(kind)["dtype"].__get__(value)))
            if dtype == "object" and size > MAX_ELEMENTS:
                raise ValueError("the array is too large to extract")
            if dtype == "object":                             # ragged lists: their items, as plain data
                return encode(numpy_tolist(kind)(value), depth + 1)
            data = plain(numpy_tolist(kind)(value)) if size <= MAX_DATA else None
            return {"a": {"shape": shape, "dtype": dtype, "data": data}}
        if numpy_tolist(kind) is not None:
            return plain(numpy_tolist(kind)(value), depth + 1)
        if foreign(kind):
            return {"k": keras(value, kind, depth + 1)}
        raise TypeError("not plain data: " + STR.__str__(name(kind)))

    def keras(value, kind, depth):
        """A Keras model, layer or history as a plain description; a tensor or variable as an array."""
        names = [name(k) for k in mro(kind)]
        if "Layer" in names:
            info = {"kind": "model" if "Model" in names else "layer", "class": name(kind),
                    "count_params": attempt(lambda: plain(value.count_params())),
                    "config": {} if "Model" in names else attempt(lambda: plain_items(value.get_config()), {}),
                    "output_shape": attempt(lambda: plain(value.output_shape))
                    or attempt(lambda: plain(builtins_dict["tuple"](value.output.shape)))}
            if info["kind"] == "model" and depth < 4:
                info["layers"] = [encode(layer, depth + 1) for layer in attempt(lambda: LIST(value.layers), [])]
                info["trainable_weights"] = [{"shape": attempt(lambda: plain(builtins_dict["tuple"](w.shape)))}
                                             for w in attempt(lambda: LIST(value.trainable_weights), [])]
                rate = attempt(lambda: plain(numpy().asarray(value.optimizer.learning_rate).tolist()))
                info["optimizer"] = {"learning_rate": rate}
            return info
        if "Callback" in names:
            return {"kind": "history", "class": name(kind), "history": encode(attempt(lambda: value.history), depth)}
        return {"kind": "array", "value": encode(numpy().asarray(value), depth)}

    def plain_items(config):
        """The plain-data entries of a Keras config (others are left out)."""
        out = {}
        for key, item in DICT.items(config):
            try:
                out[STR.__str__(key)] = plain(item)
            except builtins_dict["Exception"]:
                pass
        return out

    def numpy():
        return builtins_dict["__import__"]("numpy")

    return plain, wire, describe, encode


to_plain, _wire, _describe, encode = _kernel_side(vars(builtins))


def check(name: str, value, *, points: float = 1, **criterion) -> None:
    """In-notebook feedback for one test: print a tick or raise AssertionError saying what was expected."""
    try:
        value = to_plain(value)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"✗ {name}: {err}; convert it in the check (int(...), float(...), .tolist())") from None
    ok, reason = judge(value, **criterion)
    if not ok:
        raise AssertionError(f"✗ {name}: {reason} (got {_short(value)})")
    print(f"✓ {name} ({points} 分)")


def _short(value, limit: int = 200) -> str:
    try:
        text = repr(value)
    except ValueError:                      # an int of more than 4300 digits
        text = f"<{type(value).__name__} too large to show>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
