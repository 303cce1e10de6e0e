//! Which kind of server a connection accepts, as libpq's
//! `target_session_attrs`.

use std::fmt;
use std::str::FromStr;

/// What a server must be for a connection to keep it, tried host by host:
/// libpq's `target_session_attrs`, every value of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TargetSessionAttrs {
    /// Any server (the default).
    #[default]
    Any,
    /// A server whose sessions accept writes by default.
    ReadWrite,
    /// A server whose sessions are read-only by default.
    ReadOnly,
    /// A server that is not in recovery (not a standby).
    Primary,
    /// A server in recovery (a standby).
    Standby,
    /// A standby if one of the hosts is one, else any server.
    PreferStandby,
}

impl FromStr for TargetSessionAttrs {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        Ok(match value {
            "any" => TargetSessionAttrs::Any,
            "read-write" => TargetSessionAttrs::ReadWrite,
            "read-only" => TargetSessionAttrs::ReadOnly,
            "primary" => TargetSessionAttrs::Primary,
            "standby" => TargetSessionAttrs::Standby,
            "prefer-standby" => TargetSessionAttrs::PreferStandby,
            other => {
                return Err(format!(
                    "target_session_attrs={other:?} is none of any, read-write, read-only, primary, standby, prefer-standby"
                ));
            }
        })
    }
}

impl fmt::Display for TargetSessionAttrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetSessionAttrs::Any => "any",
            TargetSessionAttrs::ReadWrite => "read-write",
            TargetSessionAttrs::ReadOnly => "read-only",
            TargetSessionAttrs::Primary => "primary",
            TargetSessionAttrs::Standby => "standby",
            TargetSessionAttrs::PreferStandby => "prefer-standby",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_libpq_value() {
        for attrs in [
            TargetSessionAttrs::Any,
            TargetSessionAttrs::ReadWrite,
            TargetSessionAttrs::ReadOnly,
            TargetSessionAttrs::Primary,
            TargetSessionAttrs::Standby,
            TargetSessionAttrs::PreferStandby,
        ] {
            assert_eq!(attrs.to_string().parse(), Ok(attrs));
        }
        assert!("readwrite".parse::<TargetSessionAttrs>().is_err());
    }
}
