//! The crate's one error type: every variant says where (file, section, index) and what.

use std::fmt;
use std::path::PathBuf;

/// Where in an input something went wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file, as the user named it.
    pub file: String,
    /// The section id of the binary container, if any.
    pub section: Option<u32>,
    /// The index of the element (point, record, constraint) inside the section, if any.
    pub index: Option<u64>,
}

impl Location {
    /// A location naming only the file.
    pub fn file(file: impl Into<String>) -> Self {
        Location { file: file.into(), section: None, index: None }
    }
    /// The same file, in section `s`.
    pub fn section(&self, s: u32) -> Self {
        Location { file: self.file.clone(), section: Some(s), index: None }
    }
    /// The same file and section, at element `i`.
    pub fn index(&self, i: u64) -> Self {
        Location { file: self.file.clone(), section: self.section, index: Some(i) }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(s) = self.section {
            write!(f, ", section {s}")?;
        }
        if let Some(i) = self.index {
            write!(f, ", index {i}")?;
        }
        Ok(())
    }
}

/// What is wrong with an encoded curve point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointFault {
    /// A coordinate is not below the base-field prime.
    CoordinateNotReduced,
    /// The point does not satisfy the curve equation.
    NotOnCurve,
    /// The point is on the curve but outside the prime-order subgroup.
    NotInSubgroup,
    /// The point is the identity where a real point is required.
    Identity,
}

impl fmt::Display for PointFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PointFault::CoordinateNotReduced => "a coordinate is not reduced modulo q",
            PointFault::NotOnCurve => "point is not on the curve",
            PointFault::NotInSubgroup => "point is not in the prime-order subgroup",
            PointFault::Identity => "point is the identity (point at infinity)",
        })
    }
}

/// Every error tauforge reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    // The cause is printed in the message and not chained as a source, so that `{:#}` does not
    // print it twice.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// The bytes of an input do not follow its format.
    #[error("{at}: {msg}")]
    Malformed {
        /// Where.
        at: Location,
        /// What.
        msg: String,
    },
    /// An encoded point is not a valid group element.
    #[error("{at}: {fault}")]
    BadPoint {
        /// Where.
        at: Location,
        /// What.
        fault: PointFault,
    },
    /// A well-formed file fails a cryptographic or consistency check.
    #[error("{0}")]
    Invalid(String),
    /// The inputs do not fit together (wrong circuit, too small a ptau, bad argument).
    #[error("{0}")]
    Usage(String),
    /// A backend failed or returned a result that did not pass its cross-check.
    #[error("backend {backend}: {msg}")]
    Backend {
        /// The backend's name.
        backend: String,
        /// What went wrong.
        msg: String,
    },
}

impl Error {
    /// A format error at `at`.
    pub fn malformed(at: Location, msg: impl Into<String>) -> Self {
        Error::Malformed { at, msg: msg.into() }
    }
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Io { path: path.into(), cause }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
