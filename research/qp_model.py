"""The mean-variance problem of `alpha risk solve`, in numpy and in cvxpy.

A problem is the JSON object described in research/README.md:

    maximise  μᵀw − γ·wᵀΣw − Σ_i tcost_i·|w_i − w_prev_i|   subject to the listed constraints,

with Σ either dense (`risk.sigma`) or a factor model Σ = B F Bᵀ + diag(D). This module parses
and validates that object, builds it in cvxpy (factor form with an auxiliary y = Bᵀw, so nothing
n×n is formed), and evaluates objectives and constraint violations of a given w in plain numpy,
independently of any solver.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

# Clarabel settings for reference solutions. The gap/feasibility tolerance is the tightest of
# REFERENCE_GAP_TOLERANCES at which Clarabel reports "optimal": at 1e-10 an optimum on a flat face
# (an L1 constraint binding, say) can still be ~1e-6 off in w, at 1e-14 it is ~1e-9 off.
CLARABEL_TOLERANCES: dict[str, float] = {
    "tol_gap_abs": 1e-10,
    "tol_gap_rel": 1e-10,
    "tol_feas": 1e-10,
    "tol_infeas_abs": 1e-10,
    "tol_infeas_rel": 1e-10,
    "tol_ktratio": 1e-8,
}
REFERENCE_GAP_TOLERANCES = (1e-14, 1e-12, 1e-10)
CLARABEL_MAX_ITER = 400


def clarabel_options(gap_tol: float = 1e-10) -> dict[str, float]:
    return {**CLARABEL_TOLERANCES, "tol_gap_abs": gap_tol, "tol_gap_rel": gap_tol, "tol_feas": gap_tol,
            "max_iter": CLARABEL_MAX_ITER}


CONSTRAINT_KEYS = {
    "dollar_neutral", "gross", "max_weight", "min_weight", "turnover", "long_only",
    "sector", "sector_neutral", "beta", "beta_neutral",
}
PROBLEM_KEYS = {"mu", "gamma", "risk", "w_prev", "tcost", "constraints"}


class ProblemError(ValueError):
    """A problem object that does not follow the format; the message names the field."""


@dataclass
class Problem:
    mu: np.ndarray
    gamma: float
    sigma: np.ndarray | None = None
    B: np.ndarray | None = None
    F: np.ndarray | None = None
    D: np.ndarray | None = None
    w_prev: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tcost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # always per name here
    constraints: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.mu.shape[0])

    @property
    def factor_form(self) -> bool:
        return self.B is not None

    def sector_matrix(self) -> tuple[list[str], sp.csr_matrix] | None:
        """Rows: one indicator per distinct sector label (in order of first appearance)."""
        if not self.constraints.get("sector_neutral"):
            return None
        labels = self.constraints["sector"]
        order = list(dict.fromkeys(labels))
        index = {s: j for j, s in enumerate(order)}
        rows = [index[s] for s in labels]
        S = sp.csr_matrix((np.ones(self.n), (rows, np.arange(self.n))), shape=(len(order), self.n))
        return order, S


def _vector(value: Any, n: int | None, where: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        want = f"a list of {n} numbers" if n is not None else "a list of numbers"
        raise ProblemError(f"{where}: expected {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ProblemError(f"{where}: all entries must be finite")
    return arr


def _matrix(value: Any, shape: tuple[int, int | None], where: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != shape[0] or (shape[1] is not None and arr.shape[1] != shape[1]):
        raise ProblemError(f"{where}: expected a {shape[0]}×{shape[1] or 'k'} matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ProblemError(f"{where}: all entries must be finite")
    return arr


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProblemError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def parse_problem(obj: dict[str, Any]) -> Problem:
    """Validate a problem object (the `problem` field of a fixture) and return it as arrays."""
    unknown = set(obj) - PROBLEM_KEYS
    if unknown:
        raise ProblemError(f"problem: unknown field(s) {sorted(unknown)}; accepted: {sorted(PROBLEM_KEYS)}")
    for key in ("mu", "gamma", "risk"):
        if key not in obj:
            raise ProblemError(f"problem: missing required field {key!r}")
    mu = _vector(obj["mu"], None, "mu")
    n = mu.shape[0]
    gamma = _number(obj["gamma"], "gamma")
    if gamma < 0:
        raise ProblemError(f"gamma: must be ≥ 0, got {gamma}")
    p = Problem(mu=mu, gamma=gamma)

    risk = obj["risk"]
    if not isinstance(risk, dict):
        raise ProblemError("risk: expected {sigma} or {B, F, D}")
    if "sigma" in risk:
        if set(risk) != {"sigma"}:
            raise ProblemError(f"risk: give either sigma or B, F, D, not {sorted(risk)}")
        p.sigma = _matrix(risk["sigma"], (n, n), "risk.sigma")
        if not np.array_equal(p.sigma, p.sigma.T):
            raise ProblemError("risk.sigma: must be symmetric")
    elif set(risk) == {"B", "F", "D"}:
        p.B = _matrix(risk["B"], (n, None), "risk.B")
        k = p.B.shape[1]
        p.F = _matrix(risk["F"], (k, k), "risk.F")
        if not np.array_equal(p.F, p.F.T):
            raise ProblemError("risk.F: must be symmetric")
        p.D = _vector(risk["D"], n, "risk.D")
        if np.any(p.D < 0):
            raise ProblemError(f"risk.D: entries must be ≥ 0, min is {p.D.min()}")
    else:
        raise ProblemError(f"risk: expected {{sigma}} or {{B, F, D}}, got fields {sorted(risk)}")

    p.w_prev = _vector(obj.get("w_prev", np.zeros(n)), n, "w_prev")
    tcost = obj.get("tcost", 0.0)
    p.tcost = np.full(n, _number(tcost, "tcost")) if not isinstance(tcost, list) else _vector(tcost, n, "tcost")
    if np.any(p.tcost < 0):
        raise ProblemError("tcost: must be ≥ 0")

    c = dict(obj.get("constraints", {}))
    unknown = set(c) - CONSTRAINT_KEYS
    if unknown:
        raise ProblemError(f"constraints: unknown field(s) {sorted(unknown)}; accepted: {sorted(CONSTRAINT_KEYS)}")
    for key in ("dollar_neutral", "long_only", "sector_neutral", "beta_neutral"):
        if key in c and not isinstance(c[key], bool):
            raise ProblemError(f"constraints.{key}: expected true or false, got {c[key]!r}")
    for key in ("gross", "max_weight", "min_weight", "turnover"):
        if key in c:
            c[key] = _number(c[key], f"constraints.{key}")
    if "sector" in c:
        if not isinstance(c["sector"], list) or len(c["sector"]) != n or not all(isinstance(s, str) for s in c["sector"]):
            raise ProblemError(f"constraints.sector: expected {n} string labels")
    if c.get("sector_neutral") and "sector" not in c:
        raise ProblemError("constraints.sector_neutral: needs constraints.sector")
    if "beta" in c:
        c["beta"] = _vector(c["beta"], n, "constraints.beta")
    if c.get("beta_neutral") and "beta" not in c:
        raise ProblemError("constraints.beta_neutral: needs constraints.beta")
    p.constraints = c
    return p


# ---------------------------------------------------------------------------------------------
# numpy evaluation


def variance(p: Problem, w: np.ndarray) -> float:
    if p.sigma is not None:
        return float(w @ p.sigma @ w)
    assert p.B is not None and p.F is not None and p.D is not None
    y = p.B.T @ w
    return float(y @ p.F @ y + p.D @ (w * w))


def objective(p: Problem, w: np.ndarray) -> float:
    """μᵀw − γ·wᵀΣw − Σ tcost_i |w_i − w_prev_i| (maximisation sense)."""
    return float(p.mu @ w - p.gamma * variance(p, w) - p.tcost @ np.abs(w - p.w_prev))


def violations(p: Problem, w: np.ndarray) -> dict[str, float]:
    """Largest violation (≥ 0) of each constraint present, in the constraint's own units."""
    c = p.constraints
    out: dict[str, float] = {}
    if c.get("dollar_neutral"):
        out["dollar_neutral"] = abs(float(w.sum()))
    if "gross" in c:
        out["gross"] = max(0.0, float(np.abs(w).sum()) - c["gross"])
    if "max_weight" in c:
        out["max_weight"] = max(0.0, float((w - c["max_weight"]).max()))
    if "min_weight" in c:
        out["min_weight"] = max(0.0, float((c["min_weight"] - w).max()))
    if "turnover" in c:
        out["turnover"] = max(0.0, float(np.abs(w - p.w_prev).sum()) - c["turnover"])
    if c.get("long_only"):
        out["long_only"] = max(0.0, float((-w).max()))
    sectors = p.sector_matrix()
    if sectors is not None:
        out["sector_neutral"] = float(np.abs(sectors[1] @ w).max())
    if c.get("beta_neutral"):
        out["beta_neutral"] = abs(float(c["beta"] @ w))
    return out


# ---------------------------------------------------------------------------------------------
# cvxpy


@dataclass
class Built:
    problem: cp.Problem
    w: cp.Variable
    mu: cp.Parameter


def build(p: Problem) -> Built:
    """The problem in cvxpy, with μ as a Parameter so that re-solves reuse the canonicalisation."""
    n = p.n
    w = cp.Variable(n, name="w")
    mu = cp.Parameter(n, name="mu", value=p.mu)
    constraints: list[cp.Constraint] = []
    if p.sigma is not None:
        risk = cp.quad_form(w, p.sigma, assume_PSD=True)
    else:
        assert p.B is not None and p.F is not None and p.D is not None
        y = cp.Variable(p.B.shape[1], name="y")
        constraints.append(y == p.B.T @ w)
        risk = cp.quad_form(y, p.F, assume_PSD=True)
        if np.any(p.D > 0):
            risk = risk + cp.sum_squares(cp.multiply(np.sqrt(p.D), w))

    trade = w - p.w_prev
    utility = mu @ w - p.gamma * risk
    if np.any(p.tcost > 0):
        utility = utility - p.tcost @ cp.abs(trade)

    c = p.constraints
    if c.get("dollar_neutral"):
        constraints.append(cp.sum(w) == 0)
    if "gross" in c:
        constraints.append(cp.norm1(w) <= c["gross"])
    if "max_weight" in c:
        constraints.append(w <= c["max_weight"])
    if "min_weight" in c:
        constraints.append(w >= c["min_weight"])
    if "turnover" in c:
        constraints.append(cp.norm1(trade) <= c["turnover"])
    if c.get("long_only"):
        constraints.append(w >= 0)
    sectors = p.sector_matrix()
    if sectors is not None:
        constraints.append(sectors[1] @ w == 0)
    if c.get("beta_neutral"):
        constraints.append(c["beta"] @ w == 0)
    return Built(cp.Problem(cp.Maximize(utility), constraints), w, mu)


def solver_options(solver: str) -> dict[str, Any]:
    return clarabel_options() if solver == "CLARABEL" else {}


def solve_reference(p: Problem) -> dict[str, Any]:
    """Solve with Clarabel at the tightest tolerance that it meets; the fixture's `reference` object."""
    for gap_tol in REFERENCE_GAP_TOLERANCES:
        built = build(p)
        options = clarabel_options(gap_tol)
        with warnings.catch_warnings():  # "may be inaccurate" at a tolerance we then loosen
            warnings.simplefilter("ignore", UserWarning)
            built.problem.solve(solver=cp.CLARABEL, **options)
        if built.problem.status in (cp.OPTIMAL, cp.INFEASIBLE, cp.UNBOUNDED):
            break
    status = built.problem.status
    ref: dict[str, Any] = {"status": status}
    if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        w = np.asarray(built.w.value, dtype=float)
        ref["weights"] = w.tolist()
        ref["objective"] = objective(p, w)
        ref["solver_objective"] = float(built.problem.value)
    ref["solver"] = "CLARABEL"
    ref["solver_version"] = _clarabel_version()
    ref["tolerances"] = options
    ref["iterations"] = built.problem.solver_stats.num_iters
    return ref


def _clarabel_version() -> str:
    import clarabel

    return str(clarabel.__version__)
