//! Scanner User-Agent matching: ASCII-case-insensitive substring search without allocating.

use crate::config::MAX_USER_AGENT_SCAN;

/// The configured patterns, lower-cased once.
#[derive(Debug, Clone)]
pub(crate) struct UserAgentMatcher {
    patterns: Vec<Box<[u8]>>,
}

impl UserAgentMatcher {
    pub(crate) fn new(patterns: &[String]) -> Self {
        Self {
            patterns: patterns
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| p.to_ascii_lowercase().into_bytes().into_boxed_slice())
                .collect(),
        }
    }

    /// The first configured pattern found in `user_agent`, if any.
    pub(crate) fn find(&self, user_agent: &str) -> Option<usize> {
        let bytes = user_agent.as_bytes();
        let hay = &bytes[..bytes.len().min(MAX_USER_AGENT_SCAN)];
        self.patterns
            .iter()
            .position(|p| contains_ignore_case(hay, p))
    }
}

/// Whether `needle` (already lower-case) occurs in `hay`, ignoring ASCII case.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if needle.len() > hay.len() {
        return false;
    }
    let last_start = hay.len() - needle.len();
    (0..=last_start).any(|i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + needle.len()]
                .iter()
                .zip(rest)
                .all(|(h, n)| h.to_ascii_lowercase() == *n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(p: &[&str]) -> UserAgentMatcher {
        UserAgentMatcher::new(&p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn matches_anywhere_ignoring_case() {
        let m = matcher(&["friendly-scanner", "VaxSIPUserAgent"]);
        assert_eq!(m.find("friendly-scanner"), Some(0));
        assert_eq!(m.find("Friendly-Scanner/0.3.4"), Some(0));
        assert_eq!(m.find("x vaxsipuseragent/3.1"), Some(1));
        assert_eq!(m.find("Linphone/5.2.0 (belle-sip/5.2.0)"), None);
        assert_eq!(m.find(""), None);
        assert_eq!(m.find("friendly-scanne"), None);
    }

    #[test]
    fn only_the_head_of_a_padded_user_agent_is_searched() {
        let m = matcher(&["sipvicious"]);
        let near = format!("{}sipvicious", " ".repeat(MAX_USER_AGENT_SCAN - 10));
        let far = format!("{}sipvicious", " ".repeat(MAX_USER_AGENT_SCAN));
        assert_eq!(m.find(&near), Some(0));
        assert_eq!(m.find(&far), None);
    }

    #[test]
    fn non_ascii_user_agent_does_not_confuse_the_search() {
        let m = matcher(&["sipcli"]);
        assert_eq!(m.find("Téléphone sipcli/v2.2 ü"), Some(0));
        assert_eq!(m.find("ÅÄÖ"), None);
    }
}
