"""Writes the mean-variance correctness fixtures test/fixtures/qp/*.json and test/fixtures/qp/known/*.json.

Each portfolio fixture is {name, description, problem, reference}: `problem` is the input format of
`alpha risk solve` (see research/README.md), generated from its own numpy seed and rounded to 6
significant digits so that the JSON states exactly the problem that was solved; `reference` is
cvxpy + Clarabel at tight tolerances, checked (constraint violations < 1e-8) before it is written.
The known/ fixtures are small QPs in OSQP form whose optimum is derived by hand (exact fractions)
and cross-checked with Clarabel.

    .venv/research/bin/python research/qp_fixtures.py [--out DIR] [--only NAME ...] [--cross-check-osqp]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import cvxpy as cp
import numpy as np

import qp_model

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "test" / "fixtures" / "qp"
MAX_VIOLATION = 1e-8
SIG_DIGITS = 6
SECTORS = [
    "Energy", "Materials", "Industrials", "ConsumerDiscretionary", "ConsumerStaples", "HealthCare",
    "Financials", "InformationTechnology", "CommunicationServices", "Utilities", "RealEstate",
]
SECTOR_WEIGHTS = np.array([5, 6, 14, 11, 6, 12, 13, 15, 6, 6, 6], dtype=float)
TRADING_DAYS = 252


def rounded(a: np.ndarray | float, digits: int = SIG_DIGITS) -> np.ndarray:
    """Round to `digits` significant digits, so a value's JSON text is short and exact."""
    arr = np.asarray(a, dtype=float)
    return np.array([float(f"{x:.{digits}g}") for x in arr.ravel()]).reshape(arr.shape)


# ---------------------------------------------------------------------------------------------
# Synthetic market data


@dataclass
class Market:
    """A universe: factor model (annualised variances), betas, sectors and an alpha signal."""

    B: np.ndarray
    F: np.ndarray
    D: np.ndarray
    beta: np.ndarray
    sector: list[str]
    alpha: np.ndarray  # standard normal score


def make_market(rng: np.random.Generator, n: int, k: int, n_sectors: int = len(SECTORS)) -> Market:
    # Factor 0 is the market (loading = beta); the others are style factors with N(0, 1) exposures.
    beta = rng.normal(1.0, 0.3, n)
    B = np.column_stack([beta, rng.normal(0.0, 1.0, (n, k - 1))]) if k > 1 else beta[:, None]
    vols = np.concatenate([[0.16], rng.uniform(0.02, 0.08, k - 1)])
    G = rng.normal(0.0, 1.0, (k, k))
    C = G @ G.T / k + np.eye(k)  # correlation with eigenvalues ≥ 1/(1 + max eig), well away from 0
    d = np.sqrt(np.diag(C))
    C = C / np.outer(d, d)
    F = np.outer(vols, vols) * C
    D = rng.uniform(0.15, 0.45, n) ** 2
    sector_p = SECTOR_WEIGHTS[:n_sectors] / SECTOR_WEIGHTS[:n_sectors].sum()
    sector = [SECTORS[i] for i in rng.choice(n_sectors, n, p=sector_p)]
    alpha = rng.normal(0.0, 1.0, n)
    return Market(B=rounded(B), F=rounded(F), D=rounded(D), beta=rounded(beta), sector=sector, alpha=alpha)


@dataclass
class Spec:
    name: str
    description: str
    seed: int
    n: int
    k: int = 10
    dense: bool = False  # risk as a dense sigma (only for n ≤ 100)
    units: str = "annual"  # annual | daily | zscore (μ as a z-score, Σ annual)
    gamma: float = 1.0
    tcost: float | tuple[float, float] | None = None  # scalar, or per-name uniform(lo, hi)
    w_prev: float | None = None  # gross of the previous portfolio (None: no w_prev)
    w_prev_net: float = 0.0  # Σ w_prev
    constraints: dict[str, Any] = field(default_factory=dict)  # "sector"/"beta": True → generated
    zero_idio: bool = False  # D = 0: singular Σ of rank k
    n_sectors: int = len(SECTORS)
    expect: str = cp.OPTIMAL


def make_problem(spec: Spec) -> dict[str, Any]:
    rng = np.random.default_rng(spec.seed)
    n = spec.n
    m = make_market(rng, n, spec.k, spec.n_sectors)
    scale = 1.0 / TRADING_DAYS if spec.units == "daily" else 1.0
    mu = rounded(m.alpha * (1.0 if spec.units == "zscore" else 0.03 * scale))
    problem: dict[str, Any] = {"mu": mu.tolist(), "gamma": spec.gamma}
    D = np.zeros(n) if spec.zero_idio else m.D
    if spec.dense:
        assert n <= 100, "dense sigma only for n ≤ 100"
        sigma = rounded((m.B @ m.F @ m.B.T + np.diag(D)) * scale)
        sigma = np.triu(sigma) + np.triu(sigma, 1).T  # exactly symmetric after rounding
        assert np.linalg.eigvalsh(sigma).min() > 0, f"{spec.name}: sigma not positive definite"
        problem["risk"] = {"sigma": sigma.tolist()}
    else:
        F = rounded(m.F * scale)
        assert np.linalg.eigvalsh(F).min() > 0, f"{spec.name}: F not positive definite"
        problem["risk"] = {"B": m.B.tolist(), "F": F.tolist(), "D": rounded(D * scale).tolist()}

    if spec.w_prev is not None:
        # Yesterday's book: tilted towards today's alpha, at the given gross and net, within bounds.
        z = 0.6 * m.alpha + 0.8 * rng.normal(0.0, 1.0, n)
        z = z - z.mean()
        w_prev = z / np.abs(z).sum() * spec.w_prev + spec.w_prev_net / n
        c = spec.constraints
        w_prev = np.clip(w_prev, max(c.get("min_weight", -np.inf), 0 if c.get("long_only") else -np.inf),
                         c.get("max_weight", np.inf))
        problem["w_prev"] = rounded(w_prev).tolist()
    if isinstance(spec.tcost, tuple):
        problem["tcost"] = rounded(rng.uniform(*spec.tcost, n), 3).tolist()
    elif spec.tcost is not None:
        problem["tcost"] = spec.tcost

    if spec.constraints:
        c = dict(spec.constraints)
        if c.get("sector") is True:
            c["sector"] = m.sector
        if c.get("beta") is True:
            c["beta"] = m.beta.tolist()
        problem["constraints"] = c
    return problem


# ---------------------------------------------------------------------------------------------
# The fixtures

BOX = {"max_weight": 0.05, "min_weight": -0.05}
NEUTRAL = {"dollar_neutral": True, "sector": True, "sector_neutral": True, "beta": True, "beta_neutral": True}

SPECS: list[Spec] = [
    Spec("seed-example", "The seed's cvxpy example: maximise μᵀw − γ·wᵀΣw with a factor risk model, "
         "dollar neutral, Σ|w| ≤ 2, |w_i| ≤ 0.05.", seed=1, n=250, k=10, gamma=3.0,
         constraints={"dollar_neutral": True, "gross": 2.0, **BOX}),
    # --- each constraint (and cost) alone
    Spec("unconstrained-dense-n10", "No constraints: the optimum is w = Σ⁻¹μ / (2γ).",
         seed=2, n=10, k=3, dense=True, gamma=2.0),
    Spec("dollar-neutral-dense-n25", "Σw = 0 only.", seed=3, n=25, k=4, dense=True, gamma=2.0,
         constraints={"dollar_neutral": True}),
    Spec("gross-dense-n50", "Σ|w| ≤ 1 only (binding).", seed=4, n=50, k=5, dense=True, gamma=1.0,
         constraints={"gross": 1.0}),
    Spec("box-dense-n100", "−0.03 ≤ w_i ≤ 0.03 only.", seed=5, n=100, k=8, dense=True, gamma=2.0,
         constraints={"max_weight": 0.03, "min_weight": -0.03}),
    Spec("max-weight-factor-n100", "w_i ≤ 0.04 only (no lower bound).", seed=6, n=100, k=8, gamma=2.0,
         constraints={"max_weight": 0.04}),
    Spec("min-weight-factor-n100", "w_i ≥ −0.02 only (no upper bound).", seed=7, n=100, k=8, gamma=2.0,
         constraints={"min_weight": -0.02}),
    Spec("long-only-factor-n250", "w ≥ 0 only.", seed=8, n=250, k=10, gamma=4.0,
         constraints={"long_only": True}),
    Spec("turnover-factor-n100", "Σ|w − w_prev| ≤ 0.4 only, from a non-zero w_prev.", seed=9, n=100, k=8,
         gamma=4.0, w_prev=1.5, constraints={"turnover": 0.4}),
    Spec("sector-neutral-dense-n50", "Σ_{i∈s} w_i = 0 for every sector s only.", seed=10, n=50, k=5,
         dense=True, gamma=3.0, constraints={"sector": True, "sector_neutral": True}),
    Spec("beta-neutral-factor-n500", "βᵀw = 0 only (β = the market loading).", seed=11, n=500, k=10,
         gamma=8.0, constraints={"beta": True, "beta_neutral": True}),
    Spec("tcost-scalar-dense-n25", "Scalar tcost 0.005 from a non-zero w_prev, no constraints; "
         "some names do not trade (w_i = w_prev_i).", seed=12, n=25, k=4, dense=True, gamma=2.0,
         tcost=0.005, w_prev=2.0),
    Spec("tcost-per-name-factor-n250", "Per-name tcost in [0.001, 0.02] from a non-zero w_prev, "
         "no constraints.", seed=13, n=250, k=10, gamma=4.0, tcost=(0.001, 0.02), w_prev=2.0),
    Spec("inactive-flags-dense-n10", "Every optional field present but inactive: sector and beta given "
         "with sector_neutral/beta_neutral/long_only/dollar_neutral false, and loose gross, bounds and "
         "turnover that do not bind, tcost 0 — the optimum is Σ⁻¹μ / (2γ).", seed=14, n=10, k=3,
         dense=True, gamma=5.0, tcost=0.0, w_prev=0.5,
         constraints={"dollar_neutral": False, "gross": 100.0, "max_weight": 10.0, "min_weight": -10.0,
                      "turnover": 100.0, "long_only": False, "sector": True, "sector_neutral": False,
                      "beta": True, "beta_neutral": False}),
    # --- realistic combinations
    Spec("all-constraints-dense-n10", "Every constraint at once on a tiny universe (3 sectors), "
         "per-name tcost, non-zero w_prev (handy to debug).", seed=15, n=10, k=3, dense=True, gamma=1.0,
         n_sectors=3,
         tcost=(0.001, 0.01), w_prev=1.0,
         constraints={**NEUTRAL, "gross": 1.5, "max_weight": 0.3, "min_weight": -0.3, "turnover": 1.0}),
    Spec("long-only-capped-factor-n500", "Long-only book: w ≥ 0, Σ|w| ≤ 1, w_i ≤ 0.02, scalar tcost "
         "0.001, from a long-only w_prev.", seed=16, n=500, k=10, gamma=2.0, tcost=0.001, w_prev=1.0,
         w_prev_net=1.0, constraints={"long_only": True, "gross": 1.0, "max_weight": 0.02}),
    Spec("rebalance-dense-n100", "Rebalance: dollar neutral, Σ|w| ≤ 2, |w_i| ≤ 0.05, turnover ≤ 0.3, "
         "per-name tcost, from a non-zero w_prev.", seed=17, n=100, k=8, dense=True, gamma=2.0,
         tcost=(0.0005, 0.005), w_prev=1.8,
         constraints={"dollar_neutral": True, "gross": 2.0, **BOX, "turnover": 0.3}),
    Spec("sector-beta-neutral-factor-n500", "Dollar, sector and beta neutral, Σ|w| ≤ 2, "
         "|w_i| ≤ 0.01.", seed=18, n=500, k=15, gamma=5.0,
         constraints={**NEUTRAL, "gross": 2.0, "max_weight": 0.01, "min_weight": -0.01}),
    Spec("market-neutral-factor-n1000", "Full market-neutral book: dollar, sector and beta neutral, "
         "Σ|w| ≤ 2, |w_i| ≤ 0.005, turnover ≤ 0.5, per-name tcost, from a non-zero w_prev.",
         seed=19, n=1000, k=20, gamma=10.0, tcost=(0.0005, 0.003), w_prev=1.9,
         constraints={**NEUTRAL, "gross": 2.0, "max_weight": 0.005, "min_weight": -0.005, "turnover": 0.5}),
    Spec("stat-arb-factor-n1000", "Stat-arb book: dollar neutral, Σ|w| ≤ 4, |w_i| ≤ 0.008, "
         "turnover ≤ 1, scalar tcost 0.0005.", seed=20, n=1000, k=15, gamma=6.0, tcost=0.0005, w_prev=3.5,
         constraints={"dollar_neutral": True, "gross": 4.0, "max_weight": 0.008, "min_weight": -0.008,
                      "turnover": 1.0}),
    Spec("tight-turnover-factor-n1000", "Dollar and beta neutral, Σ|w| ≤ 2, |w_i| ≤ 0.005, with a "
         "tight turnover ≤ 0.05 from a near-neutral w_prev.", seed=21, n=1000, k=20, gamma=10.0,
         tcost=0.0002, w_prev=1.8,
         constraints={"dollar_neutral": True, "beta": True, "beta_neutral": True, "gross": 2.0,
                      "max_weight": 0.005, "min_weight": -0.005, "turnover": 0.05}),
    Spec("zscore-alpha-factor-n1000", "μ is a z-score (≈ N(0,1)) rather than a return: large γ; "
         "dollar neutral, Σ|w| ≤ 2, |w_i| ≤ 0.01.", seed=22, n=1000, k=20, units="zscore", gamma=300.0,
         constraints={"dollar_neutral": True, "gross": 2.0, "max_weight": 0.01, "min_weight": -0.01}),
    Spec("market-neutral-factor-n2000", "Full market-neutral book at n = 2000: dollar, sector and beta "
         "neutral, Σ|w| ≤ 2, |w_i| ≤ 0.003, turnover ≤ 0.4, per-name tcost, from a non-zero w_prev.",
         seed=23, n=2000, k=20, gamma=12.0, tcost=(0.0005, 0.003), w_prev=1.9,
         constraints={**NEUTRAL, "gross": 2.0, "max_weight": 0.003, "min_weight": -0.003, "turnover": 0.4}),
    Spec("daily-units-factor-n2000", "Daily units (μ ~ 1e-4, Σ ~ 1e-4): dollar and beta neutral, "
         "Σ|w| ≤ 2, |w_i| ≤ 0.002, scalar tcost 0.0001 (1 bp, large against daily alpha), from a "
         "non-zero w_prev.", seed=24, n=2000, k=20, units="daily", gamma=5.0, tcost=0.0001, w_prev=1.8,
         constraints={"dollar_neutral": True, "beta": True, "beta_neutral": True, "gross": 2.0,
                      "max_weight": 0.002, "min_weight": -0.002}),
    Spec("long-only-factor-n2000", "Long-only at n = 2000: w ≥ 0, Σ|w| ≤ 1, w_i ≤ 0.002, per-name "
         "tcost, turnover ≤ 0.3.", seed=25, n=2000, k=20, gamma=3.0, tcost=(0.0005, 0.002),
         w_prev=1.0, w_prev_net=1.0,
         constraints={"long_only": True, "gross": 1.0, "max_weight": 0.002, "turnover": 0.3}),
    # --- singular covariance
    Spec("singular-covariance-factor-n100", "D = 0: Σ = B F Bᵀ has rank 5 < n, so the objective is "
         "linear on a 95-dimensional subspace; dollar neutrality and |w_i| ≤ 0.05 keep it bounded "
         "(the optimum is unique for this generic μ, and many names sit at ±0.05).",
         seed=26, n=100, k=5, gamma=2.0, zero_idio=True,
         constraints={"dollar_neutral": True, **BOX}),
    # --- infeasible
    Spec("infeasible-long-only-dollar-neutral", "Infeasible: long_only with w_i ≥ 0.001 and Σw = 0.",
         seed=27, n=50, k=5, gamma=2.0, expect=cp.INFEASIBLE,
         constraints={"long_only": True, "dollar_neutral": True, "min_weight": 0.001}),
    Spec("infeasible-bounds-vs-gross", "Infeasible: w_i ≥ 0.01 for 100 names forces Σ|w| ≥ 1 > gross 0.5.",
         seed=28, n=100, k=8, gamma=2.0, expect=cp.INFEASIBLE,
         constraints={"min_weight": 0.01, "max_weight": 0.05, "gross": 0.5}),
    Spec("infeasible-turnover-vs-dollar-neutral", "Infeasible: w_prev is net long 0.3 and Σw = 0 is "
         "required, so Σ|w − w_prev| ≥ |Σ(w − w_prev)| = 0.3 > turnover 0.1.", seed=29, n=100, k=8,
         gamma=2.0, w_prev=1.5, w_prev_net=0.3, expect=cp.INFEASIBLE,
         constraints={"dollar_neutral": True, "turnover": 0.1}),
]


# ---------------------------------------------------------------------------------------------
# Solving, checking, writing


def active_summary(p: qp_model.Problem, w: np.ndarray, tol: float = 1e-7) -> dict[str, Any]:
    """How the reference solution sits against each constraint (for people reading a fixture)."""
    c = p.constraints
    out: dict[str, Any] = {"gross": float(np.abs(w).sum()), "net": float(w.sum()),
                           "turnover": float(np.abs(w - p.w_prev).sum()),
                           "untraded": int(np.sum(np.abs(w - p.w_prev) <= tol))}
    if "max_weight" in c:
        out["at_max_weight"] = int(np.sum(w >= c["max_weight"] - tol))
    if "min_weight" in c:
        out["at_min_weight"] = int(np.sum(w <= c["min_weight"] + tol))
    if c.get("long_only"):
        out["at_zero"] = int(np.sum(w <= tol))
    out["volatility"] = float(np.sqrt(qp_model.variance(p, w)))
    return out


def build_fixture(spec: Spec) -> dict[str, Any]:
    problem = make_problem(spec)
    p = qp_model.parse_problem(problem)
    ref = qp_model.solve_reference(p)
    if ref["status"] != spec.expect:
        raise RuntimeError(f"{spec.name}: Clarabel status {ref['status']!r}, expected {spec.expect!r}")
    if "weights" in ref:
        w = np.asarray(ref["weights"])
        bad = {k: v for k, v in qp_model.violations(p, w).items() if v >= MAX_VIOLATION}
        if bad:
            raise RuntimeError(f"{spec.name}: reference violates constraints by {bad} (limit {MAX_VIOLATION})")
        if abs(ref["objective"] - ref["solver_objective"]) > 1e-8 * max(1.0, abs(ref["objective"])):
            raise RuntimeError(f"{spec.name}: objective {ref['objective']} ≠ solver's {ref['solver_objective']}")
        ref["active"] = active_summary(p, w)
    form = "dense sigma" if spec.dense else f"factor model, k = {spec.k}"
    units = {"annual": "annualised units", "daily": "daily units", "zscore": "μ a z-score, Σ annualised"}
    description = f"{spec.description} n = {spec.n}, {form}, {units[spec.units]}, γ = {spec.gamma}."
    return {"name": spec.name, "description": description, "problem": problem, "reference": ref}


def cross_check_osqp(fixture: dict[str, Any]) -> str:
    """Re-solve with OSQP (a different algorithm) at tight tolerances; returns a one-line comparison."""
    p = qp_model.parse_problem(fixture["problem"])
    built = qp_model.build(p)
    built.problem.solve(solver=cp.OSQP, eps_abs=1e-10, eps_rel=1e-10, max_iter=400000, polishing=True)
    ref = fixture["reference"]
    if "weights" not in ref:
        return f"osqp status {built.problem.status}"
    if built.w.value is None:
        return f"osqp status {built.problem.status} (no solution)"
    w = np.asarray(built.w.value)
    dw = float(np.abs(w - np.asarray(ref["weights"])).max())
    obj = qp_model.objective(p, w)
    viol = max(qp_model.violations(p, w).values(), default=0.0)
    return (f"osqp {built.problem.status}: objective {obj:.12g} vs {ref['objective']:.12g} "
            f"(ref − osqp {ref['objective'] - obj:.2e}, osqp max violation {viol:.1e}), max |Δw| {dw:.2e}")


# ---------------------------------------------------------------------------------------------
# Known QPs in OSQP form: minimise ½xᵀPx + qᵀx subject to l ≤ Ax ≤ u, ±1e30 meaning no bound.

INF = 1e30
Fr = Fraction


@dataclass
class KnownQP:
    name: str
    description: str
    P: list[list[Fraction]]
    q: list[Fraction]
    A: list[list[Fraction]]
    l: list[Fraction | float]
    u: list[Fraction | float]
    x: list[Fraction]  # analytic optimum
    y: list[Fraction]  # analytic multipliers, OSQP's sign: Px + q + Aᵀy = 0


def _qp_value(P: list[list[Fraction]], q: list[Fraction], x: list[Fraction]) -> Fraction:
    n = len(x)
    return sum((Fr(1, 2) * x[i] * P[i][j] * x[j] for i in range(n) for j in range(n)), Fr(0)) + sum(
        (q[i] * x[i] for i in range(n)), Fr(0))


def known_qps() -> list[KnownQP]:
    out: list[KnownQP] = []

    # 1. Least norm: min ½‖x‖² s.t. Cx = b  →  x = Cᵀ(CCᵀ)⁻¹b, λ = (CCᵀ)⁻¹b, y = −λ.
    C = [[Fr(1)] * 5, [Fr(1), Fr(-1), Fr(0), Fr(0), Fr(0)]]  # CCᵀ = [[5, 0], [0, 2]]
    b = [Fr(1), Fr(1)]
    lam = [b[0] / 5, b[1] / 2]
    x = [sum((C[r][i] * lam[r] for r in range(2)), Fr(0)) for i in range(5)]
    out.append(KnownQP(
        "least-norm-equality",
        "minimise ½‖x‖² subject to Σx = 1 and x₀ − x₁ = 1 (n = 5). With C the 2×5 constraint matrix, "
        "CCᵀ = diag(5, 2), so x* = Cᵀ(CCᵀ)⁻¹b = Cᵀ(1/5, 1/2) = (7/10, −3/10, 1/5, 1/5, 1/5) and the "
        "optimum is ½‖x*‖² = ½ bᵀ(CCᵀ)⁻¹b = ½(1/5 + 1/2) = 7/20. Multipliers y = −(1/5, 1/2).",
        P=[[Fr(int(i == j)) for j in range(5)] for i in range(5)], q=[Fr(0)] * 5, A=C, l=b, u=b,
        x=x, y=[-lam[0], -lam[1]]))

    # 2. Box-constrained separable: x_i = clip(−q_i/p_i, l_i, u_i).
    p = [Fr(2), Fr(1), Fr(4), Fr(1, 2), Fr(3), Fr(1)]
    qv = [Fr(-4), Fr(3), Fr(-1), Fr(1), Fr(6), Fr(0)]
    lo = [Fr(0), Fr(-1), Fr(-1), Fr(-1), Fr(0), Fr(-5)]
    hi = [Fr(1), Fr(1), Fr(1), Fr(1), Fr(1), Fr(5)]
    xb = [min(max(-qv[i] / p[i], lo[i]), hi[i]) for i in range(6)]
    yb = [-(p[i] * xb[i] + qv[i]) for i in range(6)]
    out.append(KnownQP(
        "box-separable",
        "minimise Σ ½p_i x_i² + q_i x_i subject to l_i ≤ x_i ≤ u_i with p = (2, 1, 4, 1/2, 3, 1), "
        "q = (−4, 3, −1, 1, 6, 0), l = (0, −1, −1, −1, 0, −5), u = (1, 1, 1, 1, 1, 5). Each coordinate "
        "is clip(−q_i/p_i, l_i, u_i): unconstrained minimisers (2, −3, 1/4, −2, −2, 0) clip to "
        "x* = (1, −1, 1/4, −1, 0, 0); the optimum is (1 − 4) + (1/2 − 3) + (1/8 − 1/4) + (1/4 − 1) + 0 + 0 "
        "= −51/8. Multipliers y_i = −(p_i x_i + q_i) = (2, −2, 0, −1/2, −6, 0).",
        P=[[p[i] if i == j else Fr(0) for j in range(6)] for i in range(6)], q=qv,
        A=[[Fr(int(i == j)) for j in range(6)] for i in range(6)], l=lo, u=hi, x=xb, y=yb))

    # 3. Euclidean projection onto the simplex: x = max(v − θ, 0), Σx = 1.
    v = [Fr(1, 2), Fr(3, 10), Fr(9, 10), Fr(-1, 5), Fr(1, 10)]
    theta = Fr(7, 30)
    xs = [max(vi - theta, Fr(0)) for vi in v]
    assert sum(xs) == 1
    # Stationarity: x − v + y₀·1 + y_{1..5} = 0; y₀ = θ and y_i = −(θ − v_i) ≤ 0 on names at 0.
    ys = [theta] + [Fr(0) if xs[i] > 0 else -(theta - v[i]) for i in range(5)]
    out.append(KnownQP(
        "simplex-projection",
        "minimise ½‖x − v‖² − ½‖v‖² = ½xᵀx − vᵀx subject to Σx = 1, x ≥ 0 (projection of "
        "v = (1/2, 3/10, 9/10, −1/5, 1/10) onto the simplex). x* = max(v − θ, 0) with θ chosen so Σx* = 1: "
        "keeping the three largest entries, θ = (9/10 + 1/2 + 3/10 − 1)/3 = 7/30 (and 1/10 − 7/30 < 0 "
        "confirms the fourth is cut), so x* = (4/15, 1/15, 2/3, 0, 0) and the optimum is "
        "½‖x*‖² − vᵀx* = 13/50 − 113/150 = −37/75. Multipliers y = (7/30, 0, 0, 0, −13/30, −2/15). Rows of A: the sum, then the identity (l = 0, u = 1e30).",
        P=[[Fr(int(i == j)) for j in range(5)] for i in range(5)], q=[-vi for vi in v],
        A=[[Fr(1)] * 5] + [[Fr(int(i == j)) for j in range(5)] for i in range(5)],
        l=[Fr(1)] + [Fr(0)] * 5, u=[Fr(1)] + [INF] * 5, x=xs, y=ys))

    # 4. Coupled P with one active one-sided bound.
    out.append(KnownQP(
        "coupled-one-sided-bound",
        "minimise ½xᵀPx + qᵀx with P = [[2, 1], [1, 2]], q = (−3, 0), subject to x ≥ 0 (u = 1e30). "
        "The unconstrained minimiser P⁻¹(3, 0) = (2, −1) has x₁ < 0, so x₁ = 0 is active and x₀ "
        "minimises x₀² − 3x₀: x* = (3/2, 0), optimum −9/4. Multipliers y = −(Px* + q) = (0, −3/2) "
        "(x₁'s lower bound pushes with force 3/2).",
        P=[[Fr(2), Fr(1)], [Fr(1), Fr(2)]], q=[Fr(-3), Fr(0)], A=[[Fr(1), Fr(0)], [Fr(0), Fr(1)]],
        l=[Fr(0), Fr(0)], u=[INF, INF], x=[Fr(3, 2), Fr(0)], y=[Fr(0), Fr(-3, 2)]))

    # 5. A linear program (P = 0): each x_i sits at the bound its cost points to.
    ql = [Fr(1), Fr(-2), Fr(1, 2), Fr(-1)]
    ll = [Fr(-1), Fr(0), Fr(2), Fr(-3)]
    ul = [Fr(1), Fr(4), Fr(3), Fr(-2)]
    xl = [ll[i] if ql[i] > 0 else ul[i] for i in range(4)]
    out.append(KnownQP(
        "lp-box-zero-P",
        "P = 0 (a linear program, P has no non-zero entries): minimise qᵀx with q = (1, −2, 1/2, −1) "
        "subject to l ≤ x ≤ u, l = (−1, 0, 2, −3), u = (1, 4, 3, −2). Each x_i goes to the bound its "
        "cost favours: x* = (−1, 4, 2, −2), optimum −1 − 8 + 1 + 2 = −6. Multipliers y = −q.",
        P=[[Fr(0)] * 4 for _ in range(4)], q=ql, A=[[Fr(int(i == j)) for j in range(4)] for i in range(4)],
        l=ll, u=ul, x=xl, y=[-qi for qi in ql]))
    return out


def known_fixture(k: KnownQP) -> dict[str, Any]:
    P = np.array(k.P, dtype=float)
    q = np.array(k.q, dtype=float)
    A = np.array(k.A, dtype=float)
    l = np.array([float(v) for v in k.l])
    u = np.array([float(v) for v in k.u])
    x_true = np.array(k.x, dtype=float)
    y_true = np.array(k.y, dtype=float)
    optimum = _qp_value(k.P, k.q, k.x)

    # The analytic solution must be a KKT point: feasible, stationary, complementary.
    Ax = A @ x_true
    assert np.all(Ax >= l - 1e-12) and np.all(Ax <= u + 1e-12), k.name
    assert np.allclose(P @ x_true + q + A.T @ y_true, 0, atol=1e-12), k.name
    for i, yi in enumerate(y_true):
        assert yi <= 0 or abs(Ax[i] - u[i]) < 1e-12, (k.name, i)
        assert yi >= 0 or abs(Ax[i] - l[i]) < 1e-12, (k.name, i)

    # Independent check with Clarabel through cvxpy.
    x = cp.Variable(len(q))
    obj = q @ x + (0.5 * cp.quad_form(x, P, assume_PSD=True) if np.any(P) else 0)
    eq = l == u
    cons = [A[eq] @ x == l[eq]] if eq.any() else []
    fin_u, fin_l = (~eq) & (u < INF), (~eq) & (l > -INF)
    if fin_u.any():
        cons.append(A[fin_u] @ x <= u[fin_u])
    if fin_l.any():
        cons.append(A[fin_l] @ x >= l[fin_l])
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver=cp.CLARABEL, **qp_model.clarabel_options(1e-12))
    assert prob.status == cp.OPTIMAL, (k.name, prob.status)
    assert abs(prob.value - float(optimum)) < 1e-8, (k.name, prob.value, float(optimum))
    assert np.allclose(x.value, x_true, atol=1e-7), (k.name, x.value, x_true)

    return {
        "name": k.name,
        "description": k.description,
        "P": P.tolist(), "q": q.tolist(), "A": A.tolist(), "l": l.tolist(), "u": u.tolist(),
        "optimal_objective": float(optimum),
        "optimal_objective_exact": str(optimum),
        "optimal_x": x_true.tolist(),
        "optimal_y": y_true.tolist(),
        "reference": {"solver": "CLARABEL", "status": prob.status, "objective": float(prob.value),
                      "x": np.asarray(x.value).tolist(),
                      "tolerances": qp_model.clarabel_options(1e-12)},
    }


# ---------------------------------------------------------------------------------------------
# JSON text: one line per matrix row and one line per number list, so files diff and read well.


def dumps(value: Any, indent: int = 0) -> str:
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return "[\n" + ",\n".join(inner + dumps(v, indent + 2) for v in value) + f"\n{pad}]"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v, indent) for v in value) + "]"
    if isinstance(value, float):
        if not np.isfinite(value):
            raise ValueError(f"non-finite number {value} cannot be written as JSON")
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def write(path: Path, obj: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(obj) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default test/fixtures/qp)")
    ap.add_argument("--only", nargs="*", default=None, help="write only these fixture names")
    ap.add_argument("--cross-check-osqp", action="store_true", help="also re-solve each with OSQP and compare")
    args = ap.parse_args(argv)

    names = {s.name for s in SPECS} | {k.name for k in known_qps()}
    for name in args.only or []:
        if name not in names:
            ap.error(f"--only: unknown fixture {name!r}; known: {', '.join(sorted(names))}")
    wanted: Callable[[str], bool] = (lambda name: name in args.only) if args.only else (lambda name: True)

    for spec in SPECS:
        if not wanted(spec.name):
            continue
        t0 = time.perf_counter()
        fixture = build_fixture(spec)
        path = args.out / f"{spec.name}.json"
        write(path, fixture)
        ref = fixture["reference"]
        line = (f"{spec.name:40s} n={spec.n:5d} {ref['status']:10s} it={ref['iterations']:3d} "
                f"tol={ref['tolerances']['tol_gap_abs']:.0e} "
                f"{time.perf_counter() - t0:6.2f}s {path.stat().st_size / 1e3:8.1f} kB")
        if "active" in ref:
            a = ref["active"]
            line += (f"  obj={ref['objective']:.6g} gross={a['gross']:.3f} turnover={a['turnover']:.3f}"
                     f" max={a.get('at_max_weight', '-')} min={a.get('at_min_weight', '-')}"
                     f" zero={a.get('at_zero', '-')} untraded={a['untraded']}")
        print(line, flush=True)
        if args.cross_check_osqp:
            print(f"    {cross_check_osqp(fixture)}", flush=True)
    for k in known_qps():
        if wanted(k.name):
            write(args.out / "known" / f"{k.name}.json", known_fixture(k))
            print(f"known/{k.name}: optimum {_qp_value(k.P, k.q, k.x)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
