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
        ok = type(value) in (int, float) and math.isfinite(value) and lo <= value <= hi
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
    return type(a) in (int, float) and math.isfinite(a) and abs(a - b) <= tol


# --------------------------------------------------------------- plain data (also runs inside the sandbox)

def _kernel_side(builtins_dict):
    """Build (plain, wire, describe) from types reached through literals, so patched builtins cannot fool them.

    Its source also runs in the sandboxed kernel before any student code, so it uses no global name.
    """
    T = (0).__class__.__class__
    INT, FLOAT, STR, BOOL, NONE = (0).__class__, (0.0).__class__, "".__class__, True.__class__, None.__class__
    LIST, TUPLE, DICT = [].__class__, ().__class__, {}.__class__
    flags, name, module, mro, members = [T.__dict__[k].__get__
                                         for k in ("__flags__", "__name__", "__module__", "__mro__", "__dict__")]
    args_of = builtins_dict["BaseException"].__dict__["args"].__get__
    HEAP, SPECIAL = 1 << 9, {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}

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
        """An exception as 'Name: message' (the message only for built-in exception types)."""
        kind = T(err)
        text = STR.__str__(name(kind))
        args = () if flags(kind) & HEAP else args_of(err)
        if T(args) is TUPLE and TUPLE.__len__(args) == 1 and T(args[0]) is STR:
            text = text + ": " + args[0][:300]
        return text

    return plain, wire, describe


to_plain, _wire, _describe = _kernel_side(vars(builtins))


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
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
