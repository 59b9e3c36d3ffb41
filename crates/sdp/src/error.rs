//! Parse errors.

/// Why a session description could not be parsed.
///
/// Line numbers are 1-based and count every physical line, blank ones
/// included, so they match what an editor shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A line is not valid UTF-8.
    #[error("line {line}: not valid UTF-8")]
    InvalidUtf8 {
        /// The offending line.
        line: usize,
    },
    /// A line does not have the `<type>=<value>` shape.
    #[error("line {line}: expected <type>=<value>")]
    MalformedLine {
        /// The offending line.
        line: usize,
    },
    /// A known line type has a value that cannot be read.
    #[error("line {line}: {kind}= line: {reason}")]
    InvalidField {
        /// The offending line.
        line: usize,
        /// The line type letter.
        kind: char,
        /// What is wrong.
        reason: &'static str,
    },
    /// A line that must appear once appears again.
    #[error("line {line}: duplicate {kind}= line")]
    Duplicate {
        /// The second occurrence.
        line: usize,
        /// The line type letter.
        kind: char,
    },
    /// A mandatory line (`v=`, `o=` or `s=`) is missing.
    #[error("missing {kind}= line")]
    Missing {
        /// The line type letter.
        kind: char,
    },
}

impl ParseError {
    /// The line the error refers to, if it refers to one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ParseError::InvalidUtf8 { line }
            | ParseError::MalformedLine { line }
            | ParseError::InvalidField { line, .. }
            | ParseError::Duplicate { line, .. } => Some(*line),
            ParseError::Missing { .. } => None,
        }
    }
}
