//! The shape of one step of a ceremony: are the next file's contribution records the previous
//! file's plus exactly one? Shared by `zkey verify-step` and `ptau verify-step`; the reasons name
//! the ways real ceremonies went wrong (stale parents, chaining from 0, forks).

/// Why `next`'s records are not `prev`'s plus one new record, or `None` when they are. Records are
/// compared by their bytes (`encode`); `kind` names the file type in messages ("zkey", "ptau").
pub fn step_shape<T>(prev: &[T], next: &[T], encode: impl Fn(&T) -> Vec<u8>, kind: &str) -> Option<String> {
    let same = |a: &[T], b: &[T]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| encode(x) == encode(y));
    let (p, n) = (prev.len(), next.len());
    if n > 0 && same(&next[..n - 1], prev) {
        return None;
    }
    if n > p + 1 && same(&next[..p], prev) {
        return Some(format!("{} new contributions (expected exactly one)", n - p));
    }
    if n == p && same(next, prev) {
        return Some("no new contribution (the contribution records are unchanged)".into());
    }
    if n < p && same(next, &prev[..n]) {
        return Some(format!(
            "the next {kind} is older than the previous one: its {n} contribution(s) are a prefix of the previous {kind}'s {p}"
        ));
    }
    // Built on an ancestor of `previous`: its records minus the new one are a proper prefix.
    let parent = &next[..n.saturating_sub(1)];
    if parent.len() < p && same(parent, &prev[..parent.len()]) {
        if parent.is_empty() {
            return Some(format!(
                "chained from the initial {kind} (contribution 0), not from the previous {kind} with {p} contribution(s)"
            ));
        }
        return Some(format!(
            "stale parent: built on the {kind} after contribution #{}, not on the previous {kind} (after #{p})",
            parent.len()
        ));
    }
    let diverge = prev.iter().zip(next).position(|(a, b)| encode(a) != encode(b)).unwrap_or(p.min(n));
    Some(format!(
        "not built on the previous {kind}: contribution record #{} differs (a fork of the chain)",
        diverge + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(prev: &[u8], next: &[u8]) -> Option<String> {
        step_shape(prev, next, |b| vec![*b], "zkey")
    }

    #[test]
    fn every_shape_has_its_reason() {
        assert_eq!(shape(&[], &[1]), None);
        assert_eq!(shape(&[1, 2], &[1, 2, 3]), None);
        assert!(shape(&[1], &[1, 2, 3]).unwrap().contains("2 new contributions"));
        assert!(shape(&[1, 2], &[1, 2]).unwrap().contains("no new contribution"));
        assert!(shape(&[1, 2], &[1]).unwrap().contains("older than the previous one"));
        assert!(shape(&[1, 2], &[9]).unwrap().contains("chained from the initial zkey"));
        assert!(shape(&[1, 2, 3], &[1, 9]).unwrap().contains("stale parent: built on the zkey after contribution #1"));
        assert!(shape(&[1, 2], &[1, 3, 4]).unwrap().contains("record #2 differs"));
        assert!(shape(&[1], &[]).unwrap().contains("older"));
        assert!(shape(&[], &[]).unwrap().contains("no new contribution"));
    }
}
