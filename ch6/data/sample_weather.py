"""Synthetic Jena weather: a simulator writing the exact Jena climate CSV (``data/README.md``)."""
from pathlib import Path

import numpy as np

from ..files import write_atomic
from . import SEED

SIZES = {
    "small": {"jena_days": 730, "jena_dropped": 0, "jena_sentinels": 3},
    "full": {"jena_days": 2_922, "jena_dropped": 217, "jena_sentinels": 8},
}
JENA_NAME = "jena_climate_2009_2016.csv"
JENA_HEADER = ('"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)","VPmax (mbar)",'
               '"VPact (mbar)","VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)","rho (g/m**3)","wv (m/s)",'
               '"max. wv (m/s)","wd (deg)"')
SENTINEL = -9999.0

# Temperature anomaly: time constant (hours), random part (degC), warming per hour per m/s of southerly wind.
ANOMALY_TAU, ANOMALY_STD, ADVECTION = 48.0, 0.8, 0.08


def ar1(rng: np.random.Generator, n: int, tau: float, std: float, drive=None) -> np.ndarray:
    """An AR(1) series of ``n`` steps, time constant ``tau`` steps, stationary ``std``, plus ``drive``."""
    phi = np.exp(-1.0 / tau)
    shocks = rng.standard_normal(n) * std * np.sqrt(1.0 - phi * phi)
    if drive is not None:
        shocks = shocks + drive
    out = np.empty(n)
    level = shocks[0] / np.sqrt(1.0 - phi * phi) if drive is None else 0.0
    for i, shock in enumerate(shocks.tolist()):
        level = phi * level + shock
        out[i] = level
    return out


def magnus(t: np.ndarray) -> np.ndarray:
    """Saturation vapour pressure over water in mbar at ``t`` degC (Magnus formula)."""
    return 6.1078 * np.exp(17.27 * t / (t + 237.3))


def simulate_weather(hours: int, rng: np.random.Generator, advection_lag: int = 0) -> dict:
    """Hourly latent weather: pressure anomaly, wind components, temperature anomaly and cloudiness.

    A slow synoptic pressure process drives the wind: falling pressure brings southerly wind, which warms
    (warm advection); rising pressure brings northerly wind, which cools. The temperature anomaly is an
    AR process on the scale of days fed by that wind, so the wind and pressure tell where it is heading;
    ``advection_lag`` hours delay the warming after the wind (0, the sample data's setting, = none).
    """
    smooth = ar1(rng, hours, tau=30.0, std=1.0)
    pressure = ar1(rng, hours, tau=60.0, std=1.0, drive=smooth * 0.06)
    pressure *= 8.0 / pressure.std()
    tendency = np.gradient(pressure) * 24.0                               # mbar per day
    south = -0.35 * tendency + ar1(rng, hours, tau=12.0, std=1.2)          # m/s, wind from the south > 0
    west = 1.0 + ar1(rng, hours, tau=24.0, std=2.0)                         # m/s, wind from the west > 0
    wind = np.concatenate([np.full(advection_lag, south[0]), south[:hours - advection_lag]]) if advection_lag else south
    anomaly = ar1(rng, hours, tau=ANOMALY_TAU, std=ANOMALY_STD, drive=ADVECTION * wind)    # degC
    cloud = 1.0 / (1.0 + np.exp(-(ar1(rng, hours, tau=18.0, std=1.3) - 0.12 * pressure)))
    return {"pressure": pressure, "south": south, "west": west, "anomaly": anomaly, "cloud": cloud}


def jena_columns(days: int, rng: np.random.Generator, advection_lag: int = 0, moisture: float = 0.0) -> dict:
    """The 14 Jena columns on a complete 10-minute grid of ``days`` days from 01.01.2009 00:10.

    ``moisture`` > 0 (a probe's variant; 0 = the sample data) shrinks the dew-point spread by that factor per m/s
    of southerly wind on a log scale, so the humidity columns carry the wind that warms."""
    n = days * 144
    t = (np.arange(n) + 1) / 144.0                                     # days since 01.01.2009 00:00
    hourly = simulate_weather(days * 24 + 2, rng, advection_lag)
    latent = {k: np.interp(t * 24.0, np.arange(len(v)), v) for k, v in hourly.items()}
    year = 2 * np.pi * (t - 20.0) / 365.25                             # coldest around 20 January
    hour = (t % 1.0) * 24.0
    daily = 0.85 * np.cos(2 * np.pi * (hour - 15.0) / 24.0) + 0.15 * np.cos(4 * np.pi * (hour - 15.0) / 24.0)
    cloud = latent["cloud"]
    amplitude = (3.5 - 1.5 * np.cos(year)) * (1.0 - 0.45 * cloud)
    temp = (9.4 - 9.6 * np.cos(year) + amplitude * daily + latent["anomaly"] * (1.0 + 0.25 * np.cos(year))
            + ar1(rng, n, tau=3.0, std=0.15))
    spread = ((7.5 - 3.5 * np.cos(year)) * (1.0 - 0.6 * cloud) * (0.55 + 0.45 * (daily + 1.0) / 2.0)
              * np.exp(ar1(rng, n, tau=144.0, std=0.35) - moisture * latent["south"]))
    dew = temp - np.maximum(spread - 0.8, 0.0)
    p = 989.2 + 1.5 * np.cos(year) + latent["pressure"] + 0.6 * np.cos(4 * np.pi * (hour - 10.0) / 24.0)
    vp_max, vp_act = magnus(temp), magnus(dew)
    sh = 1000.0 * 0.622 * vp_act / (p - 0.378 * vp_act)
    gust = np.exp(ar1(rng, n, tau=2.0, std=0.3))
    speed = np.hypot(latent["south"], latent["west"]) * (0.45 + 0.2 * np.maximum(daily, 0.0)) * gust
    speed = 12.0 * np.tanh(speed / 12.0)
    direction = np.degrees(np.arctan2(-latent["west"], -latent["south"])) + rng.normal(0.0, 12.0, n) / gust
    return {
        "p (mbar)": p,
        "T (degC)": temp,
        "Tpot (K)": (temp + 273.15) * (1000.0 / p) ** 0.286,
        "Tdew (degC)": dew,
        "rh (%)": 100.0 * vp_act / vp_max,
        "VPmax (mbar)": vp_max,
        "VPact (mbar)": vp_act,
        "VPdef (mbar)": vp_max - vp_act,
        "sh (g/kg)": sh,
        "H2OC (mmol/mol)": 1000.0 * vp_act / p,
        "rho (g/m**3)": p * 100.0 / (287.05 * (temp + 273.15) * (1.0 + 0.000608 * sh)) * 1000.0,
        "wv (m/s)": speed,
        "max. wv (m/s)": speed * (1.3 + 0.5 * np.abs(rng.standard_normal(n))) + 0.1,
        "wd (deg)": direction % 360.0,
    }


def jena_timestamps(n: int) -> list:
    """``n`` timestamps ``dd.mm.yyyy HH:MM:SS`` every 10 minutes from 01.01.2009 00:10:00."""
    times = np.datetime64("2009-01-01T00:10:00") + np.arange(n) * np.timedelta64(10, "m")
    return [f"{s[8:10]}.{s[5:7]}.{s[:4]} {s[11:19]}" for s in np.datetime_as_string(times, unit="s").tolist()]


def gap_rows(n: int, dropped: int, rng: np.random.Generator, gaps: int = 12) -> np.ndarray:
    """Indices of ``dropped`` rows removed in ``gaps`` separate runs, as the real file has gaps."""
    if not dropped:
        return np.zeros(0, dtype=np.int64)
    lengths = rng.multinomial(dropped - gaps, [1.0 / gaps] * gaps) + 1
    segment = n // gaps
    starts = np.arange(gaps) * segment + rng.integers(1_000, segment - 1_000, gaps)
    return np.concatenate([np.arange(s, s + k) for s, k in zip(starts.tolist(), lengths.tolist())])


def jena_rng(seed: int = SEED) -> np.random.Generator:
    """The random stream the Jena weather of ``seed`` is drawn from."""
    return np.random.default_rng([seed, 4])


def jena_csv(size: str = "small", seed: int = SEED) -> tuple:
    """The Jena CSV text (quoted header, LF line endings, no newline after the last row) and its counts."""
    spec = SIZES[size]
    rng = jena_rng(seed)
    n = spec["jena_days"] * 144
    values = np.round(np.column_stack(list(jena_columns(spec["jena_days"], rng).values())), 2) + 0.0  # no -0.00
    keep = np.ones(n, dtype=bool)
    keep[gap_rows(n, spec["jena_dropped"], rng)] = False
    stamps = [s for s, k in zip(jena_timestamps(n), keep.tolist()) if k]
    values = values[keep]
    outage = int(rng.integers(0, len(values) - spec["jena_sentinels"]))       # a short wind-sensor outage
    values[outage:outage + spec["jena_sentinels"], 11:13] = SENTINEL          # wv and max. wv
    chunks = []
    for start in range(0, len(stamps), 10_000):
        rows = values[start:start + 10_000].tolist()
        args = [x for stamp, row in zip(stamps[start:start + 10_000], rows) for x in (stamp, *row)]
        chunks.append((("\n%s" + ",%.2f" * 14) * len(rows)) % tuple(args))
    counts = {"rows": len(stamps), "columns": 14, "first": stamps[0], "last": stamps[-1],
              "dropped_rows": int(n - len(stamps)), "sentinel_rows": int((values[:, 11] == SENTINEL).sum())}
    return JENA_HEADER + "".join(chunks), counts


def make_jena(out: Path, size: str = "small", seed: int = SEED) -> dict:
    """Write ``out/jena_climate_2009_2016.csv``; return {"files": {name: (bytes, sha256)}, "counts": ...}."""
    text, counts = jena_csv(size, seed)
    data = text.encode("ascii")
    return {"files": {JENA_NAME: (len(data), write_atomic(Path(out) / JENA_NAME, data))}, "counts": counts}
