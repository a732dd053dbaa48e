"""Solve one mean-variance problem with cvxpy and print the result as JSON (the benchmark's reference side).

    .venv/research/bin/python research/qp_reference.py PROBLEM.json [--solver CLARABEL|OSQP] [--repeat N]
        [--perturb S] [--opt KEY=VALUE ...] [--no-weights] [--cold OTHER.json ...]

PROBLEM.json is either a problem object (the input of `alpha risk solve`) or a fixture that holds one
under "problem". Prints {status, weights, objective, setup_ms, solve_ms, ...}:

- setup_ms: building the cvxpy problem and canonicalising it for the solver (get_problem_data, which
  cvxpy caches, so the solves below skip it).
- solve_ms: the first solve — for OSQP this includes OSQP's own setup and KKT factorisation.
- resolve_ms: the N − 1 further solves (--repeat N), each after re-setting the μ Parameter (scaled by
  1 + S·z with a seeded z when --perturb S is given, or the next vector of --mus FILE). cvxpy reuses
  the canonicalisation and, for OSQP, the solver object (update q, warm start); Clarabel starts
  afresh each time.
- solver_setup_ms / solver_solve_ms / iterations: the solver's own figures for the first solve.

status, weights and objective are those of the first solve (objective in the maximisation sense,
recomputed in numpy from the weights). With --cold, each OTHER problem is then built and solved once,
in the same process (so the first problem has already paid for cvxpy's lazy start-up), and "cold"
lists {setup_ms, solve_ms, ms, max_violation} for each: the benchmark's median of fresh problems. Solver options default to the fixtures' tight tolerances for
Clarabel and to cvxpy's defaults for OSQP (eps_abs = eps_rel = 1e-5, polishing on, max_iter 10000);
--opt eps_abs=1e-3 etc. overrides them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np

import qp_model

SOLVERS = {"CLARABEL": cp.CLARABEL, "OSQP": cp.OSQP}


def parse_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def run(problem: dict[str, Any], solver: str, repeat: int, perturb: float, opts: dict[str, Any],
        mus: list[list[float]] | None = None) -> dict[str, Any]:
    p = qp_model.parse_problem(problem)
    name = SOLVERS[solver]
    options = {**qp_model.solver_options(solver), **opts}

    t0 = time.perf_counter()
    built = qp_model.build(p)
    built.problem.get_problem_data(name, solver_opts=dict(options))
    setup_ms = (time.perf_counter() - t0) * 1e3

    t0 = time.perf_counter()
    built.problem.solve(solver=name, warm_start=True, **dict(options))
    solve_ms = (time.perf_counter() - t0) * 1e3

    status = built.problem.status
    stats = built.problem.solver_stats
    out: dict[str, Any] = {"status": status, "weights": None, "objective": None}
    if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and built.w.value is not None:
        w = np.asarray(built.w.value, dtype=float)
        out["weights"] = w.tolist()
        out["objective"] = qp_model.objective(p, w)
        out["max_violation"] = max(qp_model.violations(p, w).values(), default=0.0)
    out.update({
        "setup_ms": setup_ms,
        "solve_ms": solve_ms,
        "solver": solver,
        "solver_options": options,
        "solver_setup_ms": None if stats.setup_time is None else stats.setup_time * 1e3,
        "solver_solve_ms": None if stats.solve_time is None else stats.solve_time * 1e3,
        "iterations": stats.num_iters,
        "n": p.n,
    })

    resolve_ms: list[float] = []
    statuses: list[str] = []
    rng = np.random.default_rng(0)
    for r in range(repeat - 1):
        if mus is not None:
            mu = np.asarray(mus[r % len(mus)], dtype=float)
        else:
            mu = p.mu * (1.0 + perturb * rng.normal(0.0, 1.0, p.n)) if perturb else p.mu
        t0 = time.perf_counter()
        built.mu.value = mu
        built.problem.solve(solver=name, warm_start=True, **dict(options))
        resolve_ms.append((time.perf_counter() - t0) * 1e3)
        statuses.append(built.problem.status)
    if resolve_ms:
        out["resolve_ms"] = resolve_ms
        out["resolve_ms_median"] = statistics.median(resolve_ms)
        out["resolve_statuses"] = sorted(set(statuses))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("problem", type=Path, help="problem JSON, or a fixture with a 'problem' field")
    ap.add_argument("--solver", choices=sorted(SOLVERS), default="CLARABEL", type=str.upper)
    ap.add_argument("--repeat", type=int, default=1, help="solves in all (≥ 1); the 2nd… are warm re-solves")
    ap.add_argument("--perturb", type=float, default=0.0,
                    help="relative noise on μ for each re-solve (default 0: re-solve the same μ)")
    ap.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE",
                    help="solver option passed through cvxpy, e.g. eps_abs=1e-4 (repeatable)")
    ap.add_argument("--mus", type=Path, default=None,
                    help="JSON list of μ vectors for the re-solves, in turn (instead of --perturb)")
    ap.add_argument("--no-weights", action="store_true", help="leave the weights out of the output")
    ap.add_argument("--cold", type=Path, action="append", default=[], metavar="OTHER.json",
                    help="another problem to build and solve once afterwards, timed (repeatable)")
    args = ap.parse_args(argv)

    if args.repeat < 1:
        ap.error(f"--repeat: must be ≥ 1, got {args.repeat}")
    opts: dict[str, Any] = {}
    for item in args.opt:
        key, sep, value = item.partition("=")
        if not sep or not key:
            ap.error(f"--opt: expected KEY=VALUE, got {item!r}")
        opts[key] = parse_value(value)
    try:
        doc = json.loads(args.problem.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        print(f"{args.problem}: cannot read problem JSON: {e}", file=sys.stderr)
        return 2
    problem = doc["problem"] if isinstance(doc, dict) and "problem" in doc else doc
    try:
        mus = json.loads(args.mus.read_text(encoding="utf-8")) if args.mus else None
        out = run(problem, args.solver, args.repeat, args.perturb, opts, mus)
    except qp_model.ProblemError as e:
        print(f"{args.problem}: {e}", file=sys.stderr)
        return 2
    if args.cold:
        out["cold"] = []
        for path in args.cold:
            try:
                other = json.loads(path.read_text(encoding="utf-8"))
                r = run(other.get("problem", other), args.solver, 1, 0.0, opts)
            except (OSError, json.JSONDecodeError, qp_model.ProblemError) as e:
                print(f"{path}: {e}", file=sys.stderr)
                return 2
            out["cold"].append({"setup_ms": r["setup_ms"], "solve_ms": r["solve_ms"], "ms": r["setup_ms"] + r["solve_ms"],
                                "status": r["status"], "max_violation": r.get("max_violation")})
    if args.no_weights:
        out.pop("weights")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
