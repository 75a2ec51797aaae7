"""Check expressions evaluated on the host over the plain data extracted from a copy (never ``eval``).

A small ``ast`` interpreter: names, literals, indexing, slices, arithmetic, comparisons, comprehensions, a fixed
set of functions (``int``, ``len``, ``np.prod``, ...) and methods (``.tolist()``, ``.count_params()``, ...).
"""
import ast
import math
import operator

import numpy as np

from .values import Described, EvalError, Failed, TypeName

MAX_ITEMS = 1 << 22                 # elements of one value made on the host (lists, strings, arrays)
MAX_INT_BITS = 1 << 16              # ints made by arithmetic on the host
MAX_STEPS = 1 << 20                 # evaluation steps of one expression
MODULES = frozenset({"np", "numpy", "keras", "math"})


class NotSupported(ValueError):
    """A check expression uses something the host evaluator does not offer (an authoring error)."""


# ------------------------------------------------------------------------------ what a check may call

def _type(value):
    if isinstance(value, Described):
        return TypeName(value.type_name)
    return TypeName(type(value).__name__)


def _bounded(result):
    size = result.size if isinstance(result, np.ndarray) else len(result) \
        if isinstance(result, (list, tuple, str, set, dict)) else 0
    if size > MAX_ITEMS:
        raise EvalError("the value is too large")
    return result


FUNCTIONS = {
    "int": int, "float": float, "len": len, "round": round, "list": list, "sorted": sorted, "bool": bool,
    "abs": abs, "sum": sum, "min": min, "max": max, "str": str, "tuple": tuple, "set": set, "type": _type,
    "range": range, "any": any, "all": all, "zip": zip, "enumerate": enumerate,
}
NUMPY = {"shape": np.shape, "asarray": np.asarray, "array": np.asarray, "prod": np.prod, "mean": np.mean,
         "abs": np.abs, "sum": np.sum, "max": np.max, "min": np.min, "round": np.round, "sqrt": np.sqrt,
         "allclose": np.allclose, "isclose": np.isclose, "argmax": np.argmax, "argmin": np.argmin}
MODULE_FUNCTIONS = {("np", n): f for n, f in NUMPY.items()} | {("numpy", n): f for n, f in NUMPY.items()}
MODULE_FUNCTIONS |= {("keras.ops", "convert_to_numpy"): np.asarray, ("math", "isclose"): math.isclose,
                     ("math", "sqrt"): math.sqrt, ("math", "log"): math.log, ("math", "exp"): math.exp}
METHODS = {
    np.ndarray: {"tolist", "sum", "max", "min", "mean", "item", "argmax", "argmin", "reshape", "astype", "round"},
    str: {"count", "lower", "upper", "strip", "split", "startswith", "endswith", "join", "replace"},
    list: {"count", "index"}, tuple: {"count", "index"}, dict: {"keys", "values", "items", "get"},
    int: {"bit_length"}, float: {"is_integer"},
}
ATTRIBUTES = {np.ndarray: {"shape", "ndim", "size", "T", "dtype"}, np.generic: {"shape", "ndim", "size", "dtype"}}
DESCRIBED = {"count_params", "layers", "output_shape", "output", "shape", "ndim", "size", "dtype", "trainable_weights", "optimizer",
             "learning_rate", "history", "name", "units", "dropout", "recurrent_dropout", "filters", "kernel_size",
             "strides", "pool_size", "activation", "input_dim", "output_dim", "return_sequences", "padding", "rate"}
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
           ast.Is: operator.is_, ast.IsNot: operator.is_not}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_ALL_METHODS = set().union(*METHODS.values())
_NODES = (ast.Expression, ast.Name, ast.Constant, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Attribute,
          ast.Call, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.ListComp, ast.GeneratorExp,
          ast.SetComp, ast.comprehension, ast.Load, ast.Store, ast.keyword, ast.And, ast.Or, ast.Dict,
          *BINARY, *COMPARE, *UNARY)


# ------------------------------------------------------------------------------ checking an expression once

def parse(expr: str) -> ast.Expression:
    """The expression's tree, refused (NotSupported) if it uses anything the evaluator does not offer."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as err:
        raise NotSupported(f"not a Python expression ({err.msg})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise NotSupported(f"{type(node).__name__} is not supported in a check")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and node.attr != "__name__":
            raise NotSupported(f"attribute {node.attr!r} is not supported in a check")
        if isinstance(node, ast.Call):
            _check_call(node)
    return tree


def _check_call(node: ast.Call) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id not in FUNCTIONS:
            raise NotSupported(f"function {func.id}() is not supported in a check")
        return
    if not isinstance(func, ast.Attribute):
        raise NotSupported("only named functions and methods may be called in a check")
    dotted = _dotted(func.value)
    if dotted in ("np", "numpy", "keras.ops", "math"):
        if (dotted, func.attr) not in MODULE_FUNCTIONS:
            raise NotSupported(f"{dotted}.{func.attr}() is not supported in a check")
    elif func.attr not in _ALL_METHODS and func.attr != "count_params":
        raise NotSupported(f"method .{func.attr}() is not supported in a check (the grader has only the values)")


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def names(tree: ast.Expression) -> set:
    """The names an expression reads from the student's namespace (modules and comprehension variables excluded)."""
    bound = {n.id for c in ast.walk(tree) if isinstance(c, ast.comprehension)
             for n in ast.walk(c.target) if isinstance(n, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} \
        - bound - MODULES - set(FUNCTIONS)


# ------------------------------------------------------------------------------ evaluation

def evaluate(expr: str, values: dict):
    """The value of ``expr`` with ``values`` (host values by name); EvalError with a safe message on failure."""
    tree = parse(expr)
    state = {"steps": 0}
    try:
        return _eval(tree.body, dict(values), state)
    except EvalError:
        raise
    except NameError as err:
        raise EvalError(str(err)) from None
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError, RecursionError,
            MemoryError) as err:
        raise EvalError(f"{type(err).__name__} while computing the check") from None


def _eval(node, env: dict, state: dict):
    state["steps"] += 1
    if state["steps"] > MAX_STEPS:
        raise EvalError("the check takes too many steps")
    method = getattr(_Evaluator, type(node).__name__, None)
    if method is None:
        raise EvalError(f"{type(node).__name__} is not supported")
    return _bounded(method(node, env, state))


class _Evaluator:
    """One static method per supported node type."""

    @staticmethod
    def Constant(node, env, state):
        return node.value

    @staticmethod
    def Name(node, env, state):
        if node.id in env:
            if isinstance(env[node.id], Failed):
                raise EvalError(f"{node.id}: {env[node.id].reason}")
            return env[node.id]
        if node.id in FUNCTIONS:
            return FUNCTIONS[node.id]
        if node.id in MODULES:
            return _Module(node.id)
        raise EvalError(f"name {node.id!r} is not defined (未定義)")

    @staticmethod
    def Attribute(node, env, state):
        owner = _eval(node.value, env, state)
        if isinstance(owner, _Module):
            return _Module(f"{owner.name}.{node.attr}")
        if isinstance(owner, TypeName) and node.attr == "__name__":
            return owner.__name__
        if isinstance(owner, Described):
            if node.attr not in DESCRIBED:
                raise EvalError(f"attribute {node.attr!r} of a {owner.type_name} is not graded")
            return getattr(owner, node.attr)
        for kind, allowed in ATTRIBUTES.items():
            if isinstance(owner, kind) and node.attr in allowed:
                value = getattr(owner, node.attr)
                return str(value) if node.attr == "dtype" else value
        for kind, allowed in METHODS.items():
            if type(owner) is kind and node.attr in allowed:
                return getattr(owner, node.attr)
        raise EvalError(f"{type(owner).__name__} has no attribute {node.attr!r} the grader can read")

    @staticmethod
    def Call(node, env, state):
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, (ast.Name, ast.Attribute)):
            dotted = _dotted(node.func.value)
            if dotted in ("np", "numpy", "keras.ops", "math") and dotted.split(".")[0] not in env:
                func = MODULE_FUNCTIONS[(dotted, node.func.attr)]
                return _call(func, node, env, state)
        func = _eval(node.func, env, state)
        if isinstance(func, _Module):
            raise EvalError(f"{func.name}() is not supported")
        return _call(func, node, env, state)

    @staticmethod
    def Subscript(node, env, state):
        return _eval(node.value, env, state)[_eval(node.slice, env, state)]

    @staticmethod
    def Slice(node, env, state):
        part = [_eval(p, env, state) if p is not None else None for p in (node.lower, node.upper, node.step)]
        return slice(*part)

    @staticmethod
    def Tuple(node, env, state):
        return tuple(_eval(e, env, state) for e in node.elts)

    @staticmethod
    def List(node, env, state):
        return [_eval(e, env, state) for e in node.elts]

    @staticmethod
    def Dict(node, env, state):
        return {_eval(k, env, state): _eval(v, env, state) for k, v in zip(node.keys, node.values)}

    @staticmethod
    def BinOp(node, env, state):
        left, right = _eval(node.left, env, state), _eval(node.right, env, state)
        _guard(type(node.op), left, right)
        return _bounded_int(BINARY[type(node.op)](left, right))

    @staticmethod
    def UnaryOp(node, env, state):
        return UNARY[type(node.op)](_eval(node.operand, env, state))

    @staticmethod
    def Compare(node, env, state):
        left = _eval(node.left, env, state)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, env, state)
            result = COMPARE[type(op)](left, right)
            if not (result.all() if isinstance(result, np.ndarray) else result):
                return result if isinstance(result, np.ndarray) else False
            left = right
        return result

    @staticmethod
    def BoolOp(node, env, state):
        result = None
        for value in node.values:
            result = _eval(value, env, state)
            if isinstance(node.op, ast.And) and not result or isinstance(node.op, ast.Or) and result:
                return result
        return result

    @staticmethod
    def IfExp(node, env, state):
        return _eval(node.body if _eval(node.test, env, state) else node.orelse, env, state)

    @staticmethod
    def ListComp(node, env, state):
        return list(_comprehension(node, env, state))

    @staticmethod
    def GeneratorExp(node, env, state):
        return list(_comprehension(node, env, state))       # consumed by the call around it, on the host

    @staticmethod
    def SetComp(node, env, state):
        return set(_comprehension(node, env, state))


class _Module:
    """A module name in a check (np, keras.ops): usable only through MODULE_FUNCTIONS."""

    def __init__(self, name: str):
        self.name = name


def _call(func, node, env, state):
    args = [_eval(a, env, state) for a in node.args]
    kwargs = {k.arg: _eval(k.value, env, state) for k in node.keywords if k.arg}
    if len(kwargs) != len(node.keywords):
        raise EvalError("**kwargs are not supported")
    if func is range and any(isinstance(a, int) and abs(a) > MAX_ITEMS for a in args):
        raise EvalError("the range is too large")
    result = func(*args, **kwargs)
    if isinstance(result, (range, zip, enumerate, map, filter)) or type(result).__name__.endswith("iterator"):
        result = list(result)
    return result


def _comprehension(node, env, state):
    def walk(generators, scope):
        if not generators:
            yield _eval(node.elt, scope, state)
            return
        first, rest = generators[0], generators[1:]
        for item in _eval(first.iter, scope, state):
            inner = dict(scope)
            _assign(first.target, item, inner)
            if all(_eval(cond, inner, state) for cond in first.ifs):
                yield from walk(rest, inner)

    for count, item in enumerate(walk(node.generators, env)):
        if count >= MAX_ITEMS:
            raise EvalError("the comprehension is too large")
        yield item


def _assign(target, item, scope: dict) -> None:
    if isinstance(target, ast.Name):
        scope[target.id] = item
    elif isinstance(target, (ast.Tuple, ast.List)):
        items = list(item)
        if len(items) != len(target.elts):
            raise EvalError("cannot unpack the value in the comprehension")
        for sub, value in zip(target.elts, items):
            _assign(sub, value, scope)
    else:
        raise EvalError("unsupported comprehension target")


def _guard(op, left, right) -> None:
    """Refuse arithmetic whose result would be huge (10**10**9, [0] * 10**12) before computing it."""
    if op is ast.Pow and isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool):
        if right > 0 and abs(left) > 1 and right * max(1, abs(left).bit_length()) > MAX_INT_BITS:
            raise EvalError("the number is too large")
    if op is ast.Mult:
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (list, tuple, str)) and isinstance(times, int) and len(seq) * times > MAX_ITEMS:
                raise EvalError("the value is too large")


def _bounded_int(value):
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        raise EvalError("the number is too large")
    return value
