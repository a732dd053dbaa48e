//! The vectors q, l and u: what OSQP 0.6.3 cannot be given, and how bounds
//! are passed to it.
//!
//! OSQP does not check them for NaN: a NaN in q, l or u comes back as status
//! "solved" with x = NaN, and poisons the iterates a later warm start reuses.
//! So such data never reaches OSQP; the solve reports "invalid_input" instead.

/// OSQP's own infinity: bounds beyond it are treated as absent.
pub const OSQP_INFTY: f64 = 1e30;

/// Why q, l, u cannot be solved as given, or `None` when they can.
pub fn invalid_reason(q: &[f64], l: &[f64], u: &[f64]) -> Option<String> {
    if let Some(i) = q.iter().position(|v| !v.is_finite()) {
        return Some(format!("q[{i}] is {}; q must be finite", q[i]));
    }
    for (i, (&lo, &hi)) in l.iter().zip(u).enumerate() {
        if lo.is_nan() || hi.is_nan() {
            return Some(format!(
                "l[{i}] = {lo}, u[{i}] = {hi}; bounds must not be NaN"
            ));
        }
        if lo == f64::INFINITY || hi == f64::NEG_INFINITY {
            return Some(format!(
                "l[{i}] = {lo}, u[{i}] = {hi}; l may be -Infinity and u +Infinity, not the reverse"
            ));
        }
        if lo > hi {
            return Some(format!("l[{i}] = {lo} > u[{i}] = {hi}; need l <= u"));
        }
    }
    None
}

/// Bounds as OSQP 0.6.3 needs them: an infinite bound is clamped to
/// ±OSQP_INFTY, because its infeasibility test computes `u * max(dy, 0)` and
/// Infinity * 0 = NaN would hide a primal-infeasible problem (it would run to
/// max_iter instead).
pub fn clamp_bounds(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.clamp(-OSQP_INFTY, OSQP_INFTY)).collect()
}

/// Stand-ins for invalid entries, used only to set the solver up: OSQP's
/// cost scaling reads q at setup, so a NaN there would spoil every later solve.
pub fn sanitized(q: &[f64], l: &[f64], u: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let q = q
        .iter()
        .map(|&v| if v.is_finite() { v } else { 0.0 })
        .collect();
    let (mut lo, mut hi) = (clamp_bounds(l), clamp_bounds(u));
    for (lo, hi) in lo.iter_mut().zip(hi.iter_mut()) {
        // also true when either is NaN
        if (*lo).partial_cmp(hi).is_none_or(|o| o.is_gt()) {
            (*lo, *hi) = (-OSQP_INFTY, OSQP_INFTY);
        }
    }
    (q, lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_entry() {
        let inf = f64::INFINITY;
        assert_eq!(invalid_reason(&[1.0], &[0.0], &[1.0]), None);
        assert_eq!(invalid_reason(&[1.0], &[-inf], &[inf]), None);
        assert!(invalid_reason(&[1.0, f64::NAN], &[], &[])
            .unwrap()
            .starts_with("q[1] is NaN"));
        assert!(invalid_reason(&[1.0], &[f64::NAN], &[1.0])
            .unwrap()
            .starts_with("l[0] = NaN"));
        assert!(invalid_reason(&[1.0], &[inf], &[inf])
            .unwrap()
            .contains("not the reverse"));
        assert!(invalid_reason(&[1.0], &[0.0, 2.0], &[1.0, 1.0])
            .unwrap()
            .starts_with("l[1] = 2 > u[1] = 1"));
    }

    #[test]
    fn sanitizes_for_setup() {
        let (q, l, u) = sanitized(
            &[f64::NAN, 2.0],
            &[f64::NEG_INFINITY, 3.0],
            &[f64::NAN, 1.0],
        );
        assert_eq!(q, vec![0.0, 2.0]);
        assert_eq!(l, vec![-OSQP_INFTY, -OSQP_INFTY]);
        assert_eq!(u, vec![OSQP_INFTY, OSQP_INFTY]);
    }
}
