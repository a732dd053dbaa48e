"""Checks of test/fixtures/qp: each reference solution is feasible and its objective is what the file says
(recomputed here in plain numpy, not through qp_model), the set covers what it should, small cases agree
with closed forms and with OSQP, generation is deterministic, and qp_reference.py runs."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest

import qp_fixtures

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "qp"
FILES = sorted(FIXTURES.glob("*.json"))
KNOWN = sorted((FIXTURES / "known").glob("*.json"))
TOL = 1e-8


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


ALL = {p.stem: load(p) for p in FILES}
SOLVED = {k: v for k, v in ALL.items() if v["reference"]["status"] == "optimal"}


def sigma_of(problem: dict) -> np.ndarray:
    risk = problem["risk"]
    if "sigma" in risk:
        return np.array(risk["sigma"])
    B = np.array(risk["B"])
    return B @ np.array(risk["F"]) @ B.T + np.diag(risk["D"])


def tcost_of(problem: dict) -> np.ndarray:
    n = len(problem["mu"])
    return np.broadcast_to(np.asarray(problem.get("tcost", 0.0), dtype=float), (n,))


def utility(problem: dict, w: np.ndarray) -> float:
    mu = np.array(problem["mu"])
    w_prev = np.array(problem.get("w_prev", np.zeros(len(mu))))
    return float(mu @ w - problem["gamma"] * w @ sigma_of(problem) @ w - tcost_of(problem) @ np.abs(w - w_prev))


def max_violation(problem: dict, w: np.ndarray) -> float:
    c = problem.get("constraints", {})
    w_prev = np.array(problem.get("w_prev", np.zeros(len(w))))
    v = [0.0]
    if c.get("dollar_neutral"):
        v.append(abs(w.sum()))
    if "gross" in c:
        v.append(np.abs(w).sum() - c["gross"])
    if "max_weight" in c:
        v.append((w - c["max_weight"]).max())
    if "min_weight" in c:
        v.append((c["min_weight"] - w).max())
    if "turnover" in c:
        v.append(np.abs(w - w_prev).sum() - c["turnover"])
    if c.get("long_only"):
        v.append((-w).max())
    if c.get("sector_neutral"):
        labels = np.array(c["sector"])
        v.extend(abs(w[labels == s].sum()) for s in set(c["sector"]))
    if c.get("beta_neutral"):
        v.append(abs(np.array(c["beta"]) @ w))
    return float(max(v))


def active_constraints(problem: dict) -> set[str]:
    c = problem.get("constraints", {})
    out = {k for k in ("dollar_neutral", "long_only", "sector_neutral", "beta_neutral") if c.get(k)}
    out |= {k for k in ("gross", "max_weight", "min_weight", "turnover") if k in c}
    return out


# ---------------------------------------------------------------------------------------------
# The reference solutions


@pytest.mark.parametrize("name", sorted(SOLVED))
def test_reference_satisfies_constraints(name: str) -> None:
    f = SOLVED[name]
    w = np.array(f["reference"]["weights"])
    assert w.shape == (len(f["problem"]["mu"]),)
    assert max_violation(f["problem"], w) < TOL


@pytest.mark.parametrize("name", sorted(SOLVED))
def test_reference_objective_recomputes(name: str) -> None:
    f = SOLVED[name]
    obj = utility(f["problem"], np.array(f["reference"]["weights"]))
    assert obj == pytest.approx(f["reference"]["objective"], rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("name", sorted(k for k, v in SOLVED.items() if len(v["problem"]["mu"]) <= 100))
def test_small_references_agree_with_osqp(name: str) -> None:
    """A different algorithm (ADMM + polishing) finds no better feasible point."""
    import qp_model

    f = SOLVED[name]
    p = qp_model.parse_problem(f["problem"])
    built = qp_model.build(p)
    built.problem.solve(solver=cp.OSQP, eps_abs=1e-10, eps_rel=1e-10, max_iter=200000, polishing=True)
    w = np.asarray(built.w.value)
    assert max_violation(f["problem"], w) < 1e-7
    obj = utility(f["problem"], w)
    assert obj <= f["reference"]["objective"] + 1e-9 * max(1.0, abs(obj))
    assert obj == pytest.approx(f["reference"]["objective"], rel=1e-7)
    assert np.abs(w - np.array(f["reference"]["weights"])).max() < 1e-6


def test_unconstrained_matches_closed_form() -> None:
    for name in ("unconstrained-dense-n10", "inactive-flags-dense-n10"):
        f = ALL[name]
        mu = np.array(f["problem"]["mu"])
        w = np.linalg.solve(sigma_of(f["problem"]), mu) / (2 * f["problem"]["gamma"])
        np.testing.assert_allclose(f["reference"]["weights"], w, atol=1e-10)


def test_dollar_neutral_matches_closed_form() -> None:
    # max μᵀw − γwᵀΣw s.t. 1ᵀw = 0  →  w = Σ⁻¹(μ − λ1)/(2γ) with λ = 1ᵀΣ⁻¹μ / 1ᵀΣ⁻¹1.
    f = ALL["dollar-neutral-dense-n25"]
    S = sigma_of(f["problem"])
    mu = np.array(f["problem"]["mu"])
    a, b = np.linalg.solve(S, mu), np.linalg.solve(S, np.ones_like(mu))
    w = (a - a.sum() / b.sum() * b) / (2 * f["problem"]["gamma"])
    np.testing.assert_allclose(f["reference"]["weights"], w, atol=1e-10)


# ---------------------------------------------------------------------------------------------
# What the set covers


def test_fixture_set_shape() -> None:
    assert len(ALL) >= 20
    sizes = [len(f["problem"]["mu"]) for f in ALL.values()]
    assert min(sizes) == 10 and max(sizes) == 2000
    assert sum(p.stat().st_size for p in FIXTURES.rglob("*.json")) < 8e6
    for stem, f in ALL.items():
        assert f["name"] == stem
        assert set(f) == {"name", "description", "problem", "reference"}
        assert f["reference"]["solver"] == "CLARABEL" and f["reference"]["tolerances"]
        assert set(f["problem"]) <= {"mu", "gamma", "risk", "w_prev", "tcost", "constraints"}
        n = len(f["problem"]["mu"])
        if "sigma" in f["problem"]["risk"]:
            assert n <= 100
        else:
            assert len(f["problem"]["risk"]["F"]) <= 20


def test_every_constraint_alone_and_combined() -> None:
    kinds = {"dollar_neutral", "gross", "max_weight", "min_weight", "turnover", "long_only", "sector_neutral",
             "beta_neutral"}
    alone = {next(iter(s)) for f in SOLVED.values() if len(s := active_constraints(f["problem"])) == 1}
    assert alone == kinds
    combined = set().union(*(s for f in SOLVED.values() if len(s := active_constraints(f["problem"])) >= 3))
    assert combined == kinds
    tcosts = [f["problem"]["tcost"] for f in SOLVED.values() if "tcost" in f["problem"]]
    assert any(isinstance(t, list) for t in tcosts) and any(isinstance(t, float) and t > 0 for t in tcosts)
    assert any(np.any(np.array(f["problem"].get("w_prev", [0.0])) != 0) for f in SOLVED.values())


def test_seed_example() -> None:
    f = ALL["seed-example"]
    assert "B" in f["problem"]["risk"]
    assert f["problem"]["constraints"] == {"dollar_neutral": True, "gross": 2.0, "max_weight": 0.05,
                                           "min_weight": -0.05}
    assert "tcost" not in f["problem"] and "w_prev" not in f["problem"]


def test_infeasible_and_singular() -> None:
    infeasible = [f for f in ALL.values() if f["reference"]["status"] == "infeasible"]
    assert 2 <= len(infeasible) <= 3
    assert all("weights" not in f["reference"] for f in infeasible)
    singular = [f for f in SOLVED.values() if "D" in f["problem"]["risk"] and 0 in f["problem"]["risk"]["D"]]
    assert singular and all(f["reference"]["status"] == "optimal" for f in singular)


# ---------------------------------------------------------------------------------------------
# Determinism


def test_generation_is_deterministic() -> None:
    spec = next(s for s in qp_fixtures.SPECS if s.name == "all-constraints-dense-n10")
    first, second = qp_fixtures.make_problem(spec), qp_fixtures.make_problem(spec)
    assert json.dumps(first) == json.dumps(second)
    stored = ALL[spec.name]
    assert first == stored["problem"]  # the JSON holds exactly the generated (rounded) data
    fixture = qp_fixtures.build_fixture(spec)
    np.testing.assert_allclose(fixture["reference"]["weights"], stored["reference"]["weights"], atol=1e-10)
    assert fixture["reference"]["objective"] == pytest.approx(stored["reference"]["objective"], rel=1e-12)
    assert fixture["description"] == stored["description"]


# ---------------------------------------------------------------------------------------------
# Known QPs


@pytest.mark.parametrize("path", KNOWN, ids=lambda p: p.stem)
def test_known_qp(path: Path) -> None:
    f = load(path)
    P, q, A = np.array(f["P"]), np.array(f["q"]), np.array(f["A"])
    l, u = np.array(f["l"]), np.array(f["u"])
    x, y = np.array(f["optimal_x"]), np.array(f["optimal_y"])
    assert np.array_equal(P, P.T) and np.linalg.eigvalsh(P).min() >= 0
    assert 0.5 * x @ P @ x + q @ x == pytest.approx(f["optimal_objective"], abs=1e-14)
    assert float(Fraction(f["optimal_objective_exact"])) == f["optimal_objective"]
    Ax = A @ x
    assert np.all(Ax >= l - 1e-12) and np.all(Ax <= u + 1e-12)
    np.testing.assert_allclose(P @ x + q + A.T @ y, 0, atol=1e-12)
    assert np.all((y <= 0) | np.isclose(Ax, u)) and np.all((y >= 0) | np.isclose(Ax, l))
    assert f["reference"]["objective"] == pytest.approx(f["optimal_objective"], abs=1e-9)
    np.testing.assert_allclose(f["reference"]["x"], x, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# The benchmark CLI


def run_cli(*args: str) -> dict:
    script = ROOT / "research" / "qp_reference.py"
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_reference_cli_clarabel_reproduces_fixture() -> None:
    path = FIXTURES / "rebalance-dense-n100.json"
    out = run_cli(str(path), "--repeat", "3")
    ref = load(path)["reference"]
    assert out["status"] == "optimal"
    assert out["objective"] == pytest.approx(ref["objective"], rel=1e-8)
    np.testing.assert_allclose(out["weights"], ref["weights"], atol=1e-6)
    assert out["setup_ms"] > 0 and out["solve_ms"] > 0 and len(out["resolve_ms"]) == 2


def test_reference_cli_osqp_and_infeasible() -> None:
    path = FIXTURES / "seed-example.json"
    out = run_cli(str(path), "--solver", "OSQP", "--repeat", "2", "--perturb", "0.01",
                  "--opt", "eps_abs=1e-9", "--opt", "eps_rel=1e-9", "--opt", "max_iter=100000")
    assert out["status"] == "optimal" and out["solver"] == "OSQP"
    assert out["objective"] == pytest.approx(load(path)["reference"]["objective"], rel=1e-6)
    assert out["resolve_statuses"] == ["optimal"]
    out = run_cli(str(FIXTURES / "infeasible-long-only-dollar-neutral.json"), "--solver", "OSQP")
    assert out["status"] == "infeasible" and out["weights"] is None


def test_reference_cli_times_other_problems_cold() -> None:
    main = FIXTURES / "rebalance-dense-n100.json"
    other = FIXTURES / "seed-example.json"
    out = run_cli(str(main), "--cold", str(other), "--cold", str(main))
    assert [c["status"] for c in out["cold"]] == ["optimal", "optimal"]
    assert all(c["ms"] == pytest.approx(c["setup_ms"] + c["solve_ms"]) and c["ms"] > 0 for c in out["cold"])
    assert out["cold"][1]["max_violation"] == pytest.approx(out["max_violation"], abs=1e-9)
