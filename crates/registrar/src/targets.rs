//! Ordering bindings for forking (RFC 3261 §16.6).

use crate::Binding;

/// q-value of a binding that gave none, in thousandths.
const UNSPECIFIED_Q: u16 = 1000;

/// Groups `bindings` for serial-then-parallel forking: one group per q-value, highest first;
/// the proxy tries each group in parallel and moves to the next when all of it failed.
/// RFC 3261 §16.6 leaves the order to the proxy and names this one as the common mechanism:
/// highest q-value first, equal q-values in parallel.
///
/// A binding without `q` counts as `q=1.0` (our choice: a UA that states no preference is
/// not ranked below one that asked for less). Inside a group the input order is kept.
/// Expiry is not checked: pass live bindings (what the store's `lookup` returns).
pub fn targets(bindings: &[Binding]) -> Vec<Vec<&Binding>> {
    let mut sorted: Vec<&Binding> = bindings.iter().collect();
    let q = |b: &Binding| b.q.unwrap_or(UNSPECIFIED_Q);
    // A stable sort keeps the input order among equal q-values.
    sorted.sort_by_key(|b| std::cmp::Reverse(q(b)));
    let mut groups: Vec<Vec<&Binding>> = Vec::new();
    for b in sorted {
        match groups.last_mut() {
            Some(g) if g.first().is_some_and(|f| q(f) == q(b)) => g.push(b),
            _ => groups.push(vec![b]),
        }
    }
    groups
}
