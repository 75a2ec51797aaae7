"""Exercise checks: ``check()`` gives students feedback in the notebook; the grader judges marks outside."""
import math

_KINDS = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


def judge(value, *, equals=None, close=None, tol=1e-6, between=None, isa=None, **_):
    """Return (passed, reason) for a plain-data ``value`` against one criterion; strict about types."""
    if equals is not None:
        return _strict_equal(value, equals), f"expected a value equal to the answer"
    if close is not None:
        return _close(value, close, tol), f"expected a value within {tol} of the answer"
    if between is not None:
        lo, hi = between
        ok = type(value) in (int, float) and math.isfinite(value) and lo <= value <= hi
        return ok, f"expected a number in [{lo}, {hi}]"
    if isa is not None:
        return type(value) is _KINDS[isa], f"expected a value of type {isa}"
    raise ValueError("check() needs one criterion: equals, close, between or isa")


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
    return type(a) in (int, float) and not isinstance(a, bool) and math.isfinite(a) and abs(a - b) <= tol


def to_plain(value):
    """Convert NumPy scalars/arrays and tuples to plain JSON data; anything else is returned as is."""
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return value.tolist()
    if isinstance(value, tuple):
        return [to_plain(v) for v in value]
    return value


def check(name: str, value, *, points: float = 1, **criterion) -> None:
    """In-notebook feedback for one test: print a tick or raise AssertionError saying what was expected."""
    ok, reason = judge(to_plain(value), **criterion)
    if not ok:
        raise AssertionError(f"✗ {name}: {reason} (got {value!r})")
    print(f"✓ {name} ({points} 分)")
