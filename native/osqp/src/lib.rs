//! Node binding for the OSQP 0.6.3 quadratic-programming solver:
//! minimise ½xᵀPx + qᵀx subject to l ≤ Ax ≤ u. The solver is set up (and the
//! KKT matrix factorised) once; q, l and u can then be changed and re-solved.
//! Argument errors throw a `TypeError`; everything about the data itself
//! (infeasible, unbounded, non-convex, NaN in q/l/u) comes back as a status.
//! The TypeScript wrapper in ../index.ts is the public API.

mod csc;
mod data;
mod print;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use osqp::{Problem, SetupError, Status as OsqpStatus};

use crate::print::PrintScope;

/// A bad argument; thrown to JavaScript as a `TypeError`.
#[derive(Debug)]
pub struct ArgError(pub String);

enum SetupFailure {
    Argument(ArgError),
    Osqp(SetupError),
}

impl From<ArgError> for SetupFailure {
    fn from(e: ArgError) -> Self {
        SetupFailure::Argument(e)
    }
}

fn type_error(env: &Env, e: ArgError) -> Error {
    match env.throw_type_error(&e.0, None) {
        Ok(()) => Error::new(Status::PendingException, e.0),
        Err(err) => err,
    }
}

#[napi(object)]
pub struct NativeCsc {
    pub nrows: u32,
    pub ncols: u32,
    pub colptr: Int32Array,
    pub rowind: Int32Array,
    pub values: Float64Array,
}

#[napi(object)]
pub struct NativeProblem {
    pub p: NativeCsc,
    pub q: Float64Array,
    pub a: NativeCsc,
    pub l: Float64Array,
    pub u: Float64Array,
}

/// Settings already checked by the TypeScript wrapper; absent means OSQP's default.
#[napi(object)]
pub struct NativeSettings {
    pub eps_abs: Option<f64>,
    pub eps_rel: Option<f64>,
    pub eps_prim_inf: Option<f64>,
    pub eps_dual_inf: Option<f64>,
    pub max_iter: Option<u32>,
    pub rho: Option<f64>,
    pub sigma: Option<f64>,
    pub alpha: Option<f64>,
    pub delta: Option<f64>,
    pub polish: Option<bool>,
    pub polish_refine_iter: Option<u32>,
    pub warm_start: Option<bool>,
    pub verbose: Option<bool>,
    pub adaptive_rho: Option<bool>,
    pub adaptive_rho_interval: Option<u32>,
    pub scaling: Option<u32>,
    pub scaled_termination: Option<bool>,
    pub check_termination: Option<u32>,
    pub time_limit_ms: Option<f64>,
}

#[napi(object)]
pub struct NativeResult {
    pub x: Float64Array,
    pub y: Float64Array,
    pub status: String,
    pub iterations: u32,
    pub objective: f64,
    pub solve_ms: f64,
    pub primal_residual: f64,
    pub dual_residual: f64,
    /// OSQP's polish step: "successful", "unsuccessful" or "unperformed".
    pub polish: String,
    /// How many times OSQP changed rho (each refactorises the KKT matrix).
    pub rho_updates: u32,
    /// OSQP's own split of the time: ADMM iterations, and polishing.
    pub iterate_ms: f64,
    pub polish_ms: f64,
    pub reason: Option<String>,
}

fn osqp_settings(s: &NativeSettings) -> osqp::Settings {
    let zero_is_off = |v: u32| if v == 0 { None } else { Some(v) };
    let mut out = osqp::Settings::default().verbose(s.verbose.unwrap_or(false));
    macro_rules! set {
        ($($field:ident),*) => { $( if let Some(v) = s.$field { out = out.$field(v); } )* };
    }
    set!(
        eps_abs,
        eps_rel,
        eps_prim_inf,
        eps_dual_inf,
        max_iter,
        rho,
        sigma,
        alpha,
        delta
    );
    set!(
        polish,
        polish_refine_iter,
        warm_start,
        adaptive_rho,
        scaled_termination
    );
    if let Some(v) = s.scaling {
        out = out.scaling(zero_is_off(v));
    }
    let check_termination = s.check_termination.unwrap_or(25);
    out = out.check_termination(zero_is_off(check_termination));
    // OSQP's own default (0) picks the interval from the setup time, which makes
    // iteration counts differ between runs; a fixed one keeps solves reproducible.
    let fixed = if check_termination == 0 {
        100
    } else {
        4 * check_termination
    };
    out = out.adaptive_rho_interval(zero_is_off(s.adaptive_rho_interval.unwrap_or(fixed)));
    if let Some(ms) = s.time_limit_ms {
        out = out.time_limit((ms > 0.0).then(|| Duration::from_secs_f64(ms / 1000.0)));
    }
    out
}

fn raw(m: &NativeCsc) -> csc::RawCsc<'_> {
    csc::RawCsc {
        nrows: m.nrows,
        ncols: m.ncols,
        colptr: &m.colptr,
        rowind: &m.rowind,
        values: &m.values,
    }
}

fn check_len(name: &str, v: &[f64], want: usize, what: &str) -> std::result::Result<(), ArgError> {
    if v.len() == want {
        return Ok(());
    }
    Err(ArgError(format!(
        "{name} has length {}, expected {what} = {want}",
        v.len()
    )))
}

#[napi]
pub struct NativeQpSolver {
    /// `None` when setup found P non-convex; every solve then says so.
    problem: Option<Problem>,
    non_convex_reason: String,
    n: usize,
    m: usize,
    verbose: bool,
    /// The `warmStart` setting. OSQP switches it on for good when given a warm
    /// start; `restore_cold` puts it back after the one solve that used it.
    warm_start: bool,
    restore_cold: bool,
    /// The latest q, l, u the caller gave, valid or not.
    q: Vec<f64>,
    l: Vec<f64>,
    u: Vec<f64>,
    /// Whether OSQP still holds older values than `q` / `l`, `u`.
    q_stale: bool,
    bounds_stale: bool,
}

#[napi]
impl NativeQpSolver {
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, problem: NativeProblem, settings: NativeSettings) -> Result<Self> {
        Self::setup(&problem, &settings).map_err(|e| match e {
            SetupFailure::Argument(e) => type_error(&env, e),
            SetupFailure::Osqp(e) => {
                Error::new(Status::GenericFailure, format!("OSQP setup failed: {e}"))
            }
        })
    }

    #[napi(getter)]
    pub fn n(&self) -> u32 {
        self.n as u32
    }

    #[napi(getter)]
    pub fn m(&self) -> u32 {
        self.m as u32
    }

    /// Replaces any of q, l, u; keeps the factorisation.
    #[napi(catch_unwind)]
    pub fn update(
        &mut self,
        env: Env,
        q: Option<Float64Array>,
        l: Option<Float64Array>,
        u: Option<Float64Array>,
    ) -> Result<()> {
        let checked = (|| {
            if let Some(q) = &q {
                check_len("q", q, self.n, "n")?;
            }
            if let Some(l) = &l {
                check_len("l", l, self.m, "m")?;
            }
            if let Some(u) = &u {
                check_len("u", u, self.m, "m")?;
            }
            Ok(())
        })();
        checked.map_err(|e| type_error(&env, e))?;
        if let Some(q) = q {
            self.q.copy_from_slice(&q);
            self.q_stale = true;
        }
        if let Some(l) = l {
            self.l.copy_from_slice(&l);
            self.bounds_stale = true;
        }
        if let Some(u) = u {
            self.u.copy_from_slice(&u);
            self.bounds_stale = true;
        }
        self.push_data();
        Ok(())
    }

    /// Changes the settings OSQP can change after setup (tolerances, limits,
    /// rho, alpha, polish) without a new setup; rho refactorises the KKT matrix.
    /// The wrapper refuses the others (scaling, sigma, adaptive rho, ...).
    #[napi(catch_unwind)]
    pub fn update_settings(&mut self, settings: NativeSettings) {
        let Some(problem) = self.problem.as_mut() else {
            return;
        };
        let _print = PrintScope::new(self.verbose);
        macro_rules! update {
            ($($field:ident => $method:ident),*) => { $( if let Some(v) = settings.$field { problem.$method(v); } )* };
        }
        update!(
            eps_abs => update_eps_abs,
            eps_rel => update_eps_rel,
            eps_prim_inf => update_eps_prim_inf,
            eps_dual_inf => update_eps_dual_inf,
            max_iter => update_max_iter,
            rho => update_rho,
            alpha => update_alpha,
            delta => update_delta,
            polish => update_polish,
            polish_refine_iter => update_polish_refine_iter,
            scaled_termination => update_scaled_termination
        );
        if let Some(v) = settings.check_termination {
            problem.update_check_termination((v != 0).then_some(v));
        }
        if let Some(ms) = settings.time_limit_ms {
            problem.update_time_limit((ms > 0.0).then(|| Duration::from_secs_f64(ms / 1000.0)));
        }
    }

    /// Starts the next solve from x and y.
    #[napi(catch_unwind)]
    pub fn warm_start(&mut self, env: Env, x: Float64Array, y: Float64Array) -> Result<()> {
        let checked = (|| {
            check_len("x", &x, self.n, "n")?;
            check_len("y", &y, self.m, "m")?;
            for (name, v) in [("x", &x), ("y", &y)] {
                if let Some(i) = v.iter().position(|e| !e.is_finite()) {
                    return Err(ArgError(format!(
                        "{name}[{i}] is {}; a warm start must be finite",
                        v[i]
                    )));
                }
            }
            Ok(())
        })();
        checked.map_err(|e| type_error(&env, e))?;
        if let Some(problem) = self.problem.as_mut() {
            let _print = PrintScope::new(self.verbose);
            problem.warm_start(&x, &y);
            self.restore_cold = !self.warm_start;
        }
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn solve(&mut self) -> NativeResult {
        let started = Instant::now();
        let mut out = Outcome::failed(self.n, self.m);
        if let Some(reason) = data::invalid_reason(&self.q, &self.l, &self.u) {
            out.status = "invalid_input";
            out.reason = Some(reason);
        } else if let Some(problem) = self.problem.as_mut() {
            let _print = PrintScope::new(self.verbose);
            let (n, m) = (self.n, self.m);
            out = catch_unwind(AssertUnwindSafe(|| Outcome::of(problem.solve(), n, m)))
                .unwrap_or_else(|_| {
                    let mut failed = Outcome::failed(n, m);
                    failed.reason =
                        Some("OSQP failed during the solve (numerical breakdown)".into());
                    failed
                });
            if out.has_solution() && !out.is_finite() {
                // Seen with entries near 1e300: OSQP overflows yet says "solved".
                out.status = "solver_error";
                out.reason = Some(
                    "OSQP's iterates overflowed to non-finite values; rescale the problem data"
                        .into(),
                );
            }
            if matches!(out.status, "solver_error" | "non_convex") {
                // Never warm start the next solve from diverged or NaN iterates.
                problem.warm_start(&vec![0.0; n], &vec![0.0; m]);
                self.restore_cold = !self.warm_start;
            }
            if self.restore_cold {
                problem.update_warm_start(false);
                self.restore_cold = false;
            }
        } else {
            out.status = "non_convex";
            out.reason = Some(self.non_convex_reason.clone());
        }
        NativeResult {
            x: Float64Array::new(out.x),
            y: Float64Array::new(out.y),
            status: out.status.to_string(),
            iterations: out.iterations,
            objective: out.objective,
            solve_ms: started.elapsed().as_secs_f64() * 1000.0,
            primal_residual: out.primal_residual,
            dual_residual: out.dual_residual,
            polish: out.polish.to_string(),
            rho_updates: out.rho_updates,
            iterate_ms: out.iterate_ms,
            polish_ms: out.polish_ms,
            reason: out.reason,
        }
    }
}

impl NativeQpSolver {
    fn setup(
        problem: &NativeProblem,
        settings: &NativeSettings,
    ) -> std::result::Result<Self, SetupFailure> {
        let (pn, pm) = (problem.p.nrows, problem.p.ncols);
        if pn != pm || pn == 0 {
            return Err(ArgError(format!(
                "P is {pn} x {pm}; it must be square n x n with n >= 1"
            ))
            .into());
        }
        let p = csc::upper_triangle(csc::check("P", &raw(&problem.p))?)?;
        let n = p.ncols;
        if problem.a.ncols as usize != n {
            return Err(ArgError(format!(
                "A has {} columns but P is {n} x {n}; A must be m x n",
                problem.a.ncols
            ))
            .into());
        }
        let a = csc::check("A", &raw(&problem.a))?;
        let m = a.nrows;
        check_len("q", &problem.q, n, "n")?;
        check_len("l", &problem.l, m, "m = A.nrows")?;
        check_len("u", &problem.u, m, "m = A.nrows")?;

        let verbose = settings.verbose.unwrap_or(false);
        let mut solver = NativeQpSolver {
            problem: None,
            non_convex_reason: String::new(),
            n,
            m,
            verbose,
            warm_start: settings.warm_start.unwrap_or(true),
            restore_cold: false,
            q: problem.q.to_vec(),
            l: problem.l.to_vec(),
            u: problem.u.to_vec(),
            q_stale: false,
            bounds_stale: false,
        };
        if let Some((j, v)) = csc::negative_diagonal(&p) {
            solver.non_convex_reason =
                format!("P[{j},{j}] = {v} < 0, so P is not positive semidefinite");
            return Ok(solver);
        }
        let valid = data::invalid_reason(&solver.q, &solver.l, &solver.u).is_none();
        let (q, l, u) = data::sanitized(&solver.q, &solver.l, &solver.u);
        solver.q_stale = !valid;
        solver.bounds_stale = !valid;

        let _print = PrintScope::new(verbose);
        match Problem::new(&p, &q, &a, &l, &u, &osqp_settings(settings)) {
            Ok(problem) => solver.problem = Some(problem),
            Err(SetupError::NonConvex) => {
                solver.non_convex_reason =
                    "OSQP's factorisation of the KKT matrix shows P is not positive semidefinite"
                        .into();
            }
            Err(e) => return Err(SetupFailure::Osqp(e)),
        }
        Ok(solver)
    }

    /// Hands the caller's q, l, u to OSQP once they are all valid again.
    fn push_data(&mut self) {
        let Some(problem) = self.problem.as_mut() else {
            return;
        };
        if data::invalid_reason(&self.q, &self.l, &self.u).is_some() {
            return;
        }
        let _print = PrintScope::new(self.verbose);
        if self.q_stale {
            problem.update_lin_cost(&self.q);
            self.q_stale = false;
        }
        if self.bounds_stale {
            problem.update_bounds(&data::clamp_bounds(&self.l), &data::clamp_bounds(&self.u));
            self.bounds_stale = false;
        }
    }
}

/// What one solve produced, before it becomes a JavaScript object.
struct Outcome {
    x: Vec<f64>,
    y: Vec<f64>,
    status: &'static str,
    iterations: u32,
    objective: f64,
    primal_residual: f64,
    dual_residual: f64,
    polish: &'static str,
    rho_updates: u32,
    iterate_ms: f64,
    polish_ms: f64,
    reason: Option<String>,
}

impl Outcome {
    fn failed(n: usize, m: usize) -> Outcome {
        Outcome {
            x: vec![f64::NAN; n],
            y: vec![f64::NAN; m],
            status: "solver_error",
            iterations: 0,
            objective: f64::NAN,
            primal_residual: f64::NAN,
            dual_residual: f64::NAN,
            polish: "unperformed",
            rho_updates: 0,
            iterate_ms: 0.0,
            polish_ms: 0.0,
            reason: None,
        }
    }

    fn has_solution(&self) -> bool {
        matches!(
            self.status,
            "solved" | "solved_inaccurate" | "max_iter_reached" | "time_limit_reached"
        )
    }

    fn is_finite(&self) -> bool {
        self.objective.is_finite() && self.x.iter().chain(&self.y).all(|v| v.is_finite())
    }

    fn of(status: OsqpStatus, n: usize, m: usize) -> Outcome {
        let (name, solution, objective) = match &status {
            OsqpStatus::Solved(s) => ("solved", Some(s), f64::NAN),
            OsqpStatus::SolvedInaccurate(s) => ("solved_inaccurate", Some(s), f64::NAN),
            OsqpStatus::MaxIterationsReached(s) => ("max_iter_reached", Some(s), f64::NAN),
            OsqpStatus::TimeLimitReached(s) => ("time_limit_reached", Some(s), f64::NAN),
            OsqpStatus::PrimalInfeasible(_) => ("primal_infeasible", None, f64::INFINITY),
            OsqpStatus::PrimalInfeasibleInaccurate(_) => {
                ("primal_infeasible_inaccurate", None, f64::INFINITY)
            }
            OsqpStatus::DualInfeasible(_) => ("dual_infeasible", None, f64::NEG_INFINITY),
            OsqpStatus::DualInfeasibleInaccurate(_) => {
                ("dual_infeasible_inaccurate", None, f64::NEG_INFINITY)
            }
            OsqpStatus::NonConvex(_) => ("non_convex", None, f64::NAN),
            _ => ("solver_error", None, f64::NAN),
        };
        let mut out = Outcome::failed(n, m);
        out.status = name;
        if name == "non_convex" {
            out.reason =
                Some("the ADMM residuals exceeded 1e30: P is probably not positive semidefinite, or the data is badly scaled".into());
        }
        out.iterations = status.iter();
        out.rho_updates = status.rho_updates();
        out.iterate_ms = status.solve_time().as_secs_f64() * 1000.0;
        out.polish_ms = status.polish_time().as_secs_f64() * 1000.0;
        out.objective = objective;
        if let Some(s) = solution {
            out.x = s.x().to_vec();
            out.y = s.y().to_vec();
            out.objective = s.obj_val();
            out.primal_residual = s.pri_res();
            out.dual_residual = s.dua_res();
            out.polish = match s.polish_status() {
                osqp::PolishStatus::Successful => "successful",
                osqp::PolishStatus::Unsuccessful => "unsuccessful",
                _ => "unperformed",
            };
        }
        out
    }
}
