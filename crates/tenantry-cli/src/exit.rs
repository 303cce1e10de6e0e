//! How a command ends, and the process exit code that says so.

use std::fmt;
use std::process::ExitCode;

/// How a command that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Every target migrated, or nothing found: exit 0.
    Success,
    /// A target failed, or verify found a defect: exit 1.
    Failure,
}

impl Status {
    /// `Failure` if `failed`, `Success` otherwise.
    pub(crate) fn failure_if(failed: bool) -> Self {
        if failed {
            Status::Failure
        } else {
            Status::Success
        }
    }

    /// The process exit code.
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Status::Success => ExitCode::SUCCESS,
            Status::Failure => ExitCode::from(1),
        }
    }
}

/// A usage or connection error: the command could not run at all (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fatal(pub(crate) String);

impl Fatal {
    /// The exit code of usage and connection errors.
    pub(crate) const EXIT_CODE: u8 = 2;

    /// A fatal error saying `message`.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// A fatal error saying `context`, then `error` and its sources.
    pub(crate) fn because(context: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        Self(format!("{context}: {}", describe(error)))
    }
}

/// `error` and each of its sources, as one line: drivers often keep the
/// server's message in a source rather than in their own text.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|layer| layer as _)
        }
    }

    #[test]
    fn sources_are_appended_once() {
        let error = Layer(
            "database error: db error",
            Some(Box::new(Layer(
                "db error",
                Some(Box::new(Layer(
                    "ERROR: relation \"t\" does not exist\nHINT: x",
                    None,
                ))),
            ))),
        );
        assert_eq!(
            Fatal::because("cannot list", &error).0,
            "cannot list: database error: db error: ERROR: relation \"t\" does not exist HINT: x"
        );
    }
}
