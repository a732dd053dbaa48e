//! Checks a caller's compressed-sparse-column matrix and turns it into the
//! `osqp::CscMatrix` that OSQP wants; `P` may be given whole (symmetric) or as
//! its upper triangle.

use std::borrow::Cow;

use osqp::CscMatrix;

use crate::ArgError;

/// A CSC matrix as the caller gave it, before any check.
pub struct RawCsc<'a> {
    pub nrows: u32,
    pub ncols: u32,
    pub colptr: &'a [i32],
    pub rowind: &'a [i32],
    pub values: &'a [f64],
}

/// Checks the structure and entries of `m`, named `name` in messages.
pub fn check(name: &str, m: &RawCsc) -> Result<CscMatrix<'static>, ArgError> {
    let (nrows, ncols) = (m.nrows as usize, m.ncols as usize);
    if m.colptr.len() != ncols + 1 {
        return Err(ArgError(format!(
            "{name}.colptr has length {}, expected ncols + 1 = {}",
            m.colptr.len(),
            ncols + 1
        )));
    }
    if m.colptr[0] != 0 {
        return Err(ArgError(format!(
            "{name}.colptr[0] is {}, expected 0",
            m.colptr[0]
        )));
    }
    for j in 0..ncols {
        if m.colptr[j + 1] < m.colptr[j] {
            return Err(ArgError(format!(
                "{name}.colptr must be non-decreasing, but colptr[{}] = {} < colptr[{j}] = {}",
                j + 1,
                m.colptr[j + 1],
                m.colptr[j]
            )));
        }
    }
    let nnz = m.colptr[ncols] as usize;
    if m.rowind.len() != nnz || m.values.len() != nnz {
        return Err(ArgError(format!(
            "{name}.colptr[ncols] = {nnz} entries, but {name}.rowind has length {} and {name}.values has length {}; all three must agree",
            m.rowind.len(),
            m.values.len()
        )));
    }
    for j in 0..ncols {
        let (start, end) = (m.colptr[j] as usize, m.colptr[j + 1] as usize);
        for k in start..end {
            let row = m.rowind[k];
            if row < 0 || row as usize >= nrows {
                return Err(ArgError(format!(
                    "{name}.rowind[{k}] = {row} is out of range: rows are 0..{nrows}"
                )));
            }
            if k > start && row <= m.rowind[k - 1] {
                return Err(ArgError(format!(
                    "{name}.rowind must be strictly increasing within a column, but column {j} has row {row} after row {} (at rowind[{k}]); sort each column and merge duplicates",
                    m.rowind[k - 1]
                )));
            }
        }
    }
    if let Some(k) = m.values.iter().position(|v| !v.is_finite()) {
        return Err(ArgError(format!(
            "{name}.values[{k}] is {}; matrix entries must be finite",
            m.values[k]
        )));
    }
    Ok(CscMatrix {
        nrows,
        ncols,
        indptr: Cow::Owned(m.colptr.iter().map(|&p| p as usize).collect()),
        indices: Cow::Owned(m.rowind.iter().map(|&r| r as usize).collect()),
        data: Cow::Owned(m.values.to_vec()),
    })
}

/// Value stored at (row, col), or 0 when the entry is absent. Rows are sorted.
fn entry(m: &CscMatrix, row: usize, col: usize) -> f64 {
    let (start, end) = (m.indptr[col], m.indptr[col + 1]);
    match m.indices[start..end].binary_search(&row) {
        Ok(k) => m.data[start + k],
        Err(_) => 0.0,
    }
}

/// Returns the upper triangle of the already checked, square `p`. A `p` with
/// entries below the diagonal must be symmetric (to a relative 1e-10).
pub fn upper_triangle(p: CscMatrix<'static>) -> Result<CscMatrix<'static>, ArgError> {
    if p.is_structurally_upper_tri() {
        return Ok(p);
    }
    for col in 0..p.ncols {
        for k in p.indptr[col]..p.indptr[col + 1] {
            let row = p.indices[k];
            if row == col {
                continue;
            }
            let (a, b) = (p.data[k], entry(&p, col, row));
            if (a - b).abs() > 1e-10 * a.abs().max(b.abs()) {
                return Err(ArgError(format!(
                    "P has entries below the diagonal, so it must be symmetric, but P[{row},{col}] = {a} and P[{col},{row}] = {b}; pass a symmetric P or only its upper triangle"
                )));
            }
        }
    }
    Ok(p.into_upper_tri())
}

/// The first negative diagonal entry of the upper-triangular `p`, if any: such
/// a `P` is not positive semidefinite, so the problem is not convex.
pub fn negative_diagonal(p: &CscMatrix) -> Option<(usize, f64)> {
    (0..p.ncols)
        .map(|j| (j, entry(p, j, j)))
        .find(|&(_, v)| v < 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(n: u32, colptr: &'a [i32], rowind: &'a [i32], values: &'a [f64]) -> RawCsc<'a> {
        RawCsc {
            nrows: n,
            ncols: n,
            colptr,
            rowind,
            values,
        }
    }

    #[test]
    fn accepts_upper_triangle_and_full_symmetric() {
        let upper = check("P", &raw(2, &[0, 1, 3], &[0, 0, 1], &[4.0, 1.0, 2.0])).unwrap();
        let full = check(
            "P",
            &raw(2, &[0, 2, 4], &[0, 1, 0, 1], &[4.0, 1.0, 1.0, 2.0]),
        )
        .unwrap();
        let full = upper_triangle(full).unwrap();
        assert_eq!(&*full.indptr, &*upper.indptr);
        assert_eq!(&*full.indices, &*upper.indices);
        assert_eq!(&*full.data, &*upper.data);
    }

    #[test]
    fn rejects_asymmetric_full_matrix() {
        let p = check(
            "P",
            &raw(2, &[0, 2, 4], &[0, 1, 0, 1], &[4.0, 1.0, 0.5, 2.0]),
        )
        .unwrap();
        let err = upper_triangle(p).err().unwrap();
        assert!(err.0.contains("P[1,0] = 1"), "{}", err.0);
    }

    #[test]
    fn rejects_bad_structure() {
        let msg = |m: RawCsc| check("A", &m).err().unwrap().0;
        assert!(msg(raw(2, &[0, 1], &[0], &[1.0])).contains("A.colptr has length 2"));
        assert!(msg(raw(2, &[1, 1, 1], &[0], &[1.0])).contains("A.colptr[0] is 1"));
        assert!(msg(raw(2, &[0, 2, 1], &[0, 1], &[1.0, 1.0])).contains("non-decreasing"));
        assert!(msg(raw(2, &[0, 1, 2], &[0], &[1.0])).contains("must agree"));
        assert!(msg(raw(2, &[0, 1, 2], &[0, 2], &[1.0, 1.0])).contains("A.rowind[1] = 2"));
        assert!(msg(raw(2, &[0, 2, 2], &[1, 0], &[1.0, 1.0])).contains("strictly increasing"));
        assert!(msg(raw(2, &[0, 1, 2], &[0, 1], &[1.0, f64::NAN])).contains("A.values[1] is NaN"));
    }

    #[test]
    fn finds_negative_diagonal() {
        let p = check("P", &raw(2, &[0, 1, 2], &[0, 1], &[1.0, -2.0])).unwrap();
        assert_eq!(negative_diagonal(&p), Some((1, -2.0)));
    }
}
