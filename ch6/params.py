"""The parameter check every notebook runs first, and the profile files (params/*.yaml)."""
import math
import types
from pathlib import Path

import yaml

from . import paths

#: Names IPython puts in a notebook's namespace; they are never parameters.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}
_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


class ParameterError(ValueError):
    """A bad parameter: unknown name, wrong type, negative count or missing path."""


def validate(values: dict, spec: dict, where: str = "", check_paths: bool = True) -> None:
    """Check ``values`` against ``spec`` (name -> type name); raise ParameterError with one line."""
    prefix = f"{where}: " if where else ""
    for name, value in values.items():
        if name not in spec:
            known = ", ".join(sorted(spec))
            raise ParameterError(f"{prefix}unknown parameter {name!r} (known: {known})")
        kind = spec[name]
        if kind in ("int", "float") and (isinstance(value, bool) or not isinstance(value, (int, float))
                                         or (kind == "int" and not isinstance(value, int))):
            raise ParameterError(f"{prefix}{name} must be {kind}, got {type(value).__name__} {value!r}")
        if kind in ("str", "bool") and not isinstance(value, _TYPES[kind]):
            raise ParameterError(f"{prefix}{name} must be {kind}, got {type(value).__name__} {value!r}")
        if kind in ("int", "float") and (not math.isfinite(value) or value < 0):
            raise ParameterError(f"{prefix}{name} must be a non-negative number, got {value!r}")
        if not check_paths:
            continue
        if name == "data":
            try:
                paths.resolve_data(value)
            except paths.DataNotFound as err:
                raise ParameterError(f"{prefix}{err}") from None
        elif kind == "str" and name.endswith(("_dir", "_path")) and value and not Path(value).exists():
            raise ParameterError(f"{prefix}{name}: path {value!r} does not exist")


def check(namespace: dict, where: str = "") -> None:
    """Validate a notebook's parameters (annotated names in its parameters cell); one-line error if one is wrong."""
    annotations = namespace.get("__annotations__", {})
    spec = {name: getattr(kind, "__name__", str(kind)) for name, kind in annotations.items()}
    values = {name: value for name, value in namespace.items()
              if not name.startswith("_") and name not in _IPYTHON_NAMES
              and not isinstance(value, types.ModuleType) and not callable(value)}
    validate(values, spec, where)


def load_profile(profile: str) -> dict:
    """Read ``params/<profile>.yaml``: ``defaults`` for every notebook, ``notebooks`` per notebook."""
    path = paths.PARAMS / f"{profile}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in paths.PARAMS.glob("*.yaml")))
        raise ParameterError(f"unknown profile {profile!r} (known: {known})")
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    extra = set(doc) - {"defaults", "notebooks"}
    if extra:
        raise ParameterError(f"{path.name}: unknown section(s) {sorted(extra)}; use 'defaults' and 'notebooks'")
    return {"defaults": doc.get("defaults") or {}, "notebooks": doc.get("notebooks") or {}}


def notebook_key(notebook: Path) -> str:
    """The short name of a notebook used in profiles and on the command line: '6-3-5' for 6-3-5_gru_baseline."""
    return Path(notebook).stem.split("_")[0]


def profile_parameters(profile: str, notebook: Path, spec: dict, overrides: dict | None = None) -> dict:
    """The parameters ``profile`` gives ``notebook`` (defaults it declares + its own section + ``overrides``),
    validated."""
    doc = load_profile(profile)
    key = notebook_key(notebook)
    values = {name: value for name, value in doc["defaults"].items() if name in spec}
    own = doc["notebooks"].get(key) or {}
    values.update(own)
    values.update(overrides or {})
    where = f"params/{profile}.yaml [{key}]" + "".join(f" with {k}={v!r}" for k, v in (overrides or {}).items())
    validate(values, spec, where)
    return values


def check_profile(profile: str, specs: dict) -> None:
    """Check a whole profile against the notebooks' specs ({key: spec}): every key must be used somewhere."""
    doc = load_profile(profile)
    unknown_nb = set(doc["notebooks"]) - set(specs)
    if unknown_nb:
        raise ParameterError(f"params/{profile}.yaml: unknown notebook(s) {sorted(unknown_nb)}")
    for name in doc["defaults"]:
        if not any(name in spec for spec in specs.values()):
            raise ParameterError(f"params/{profile}.yaml: default {name!r} is not a parameter of any notebook")
    for key, spec in specs.items():
        values = {name: value for name, value in doc["defaults"].items() if name in spec}
        values.update(doc["notebooks"].get(key) or {})
        validate(values, spec, f"params/{profile}.yaml [{key}]", check_paths=False)
