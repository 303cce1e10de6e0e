//! The name of a migration file: `<version>_<name>.sql`.

/// `0001_create_invoices` (a file name without `.sql`) as
/// `(1, "create_invoices")`; `None` if it is not `<version>_<name>`.
pub(crate) fn parse(stem: &str) -> Option<(i64, &str)> {
    let (version, name) = stem.split_once('_')?;
    if version.is_empty() || !version.bytes().all(|byte| byte.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    let version: i64 = version.parse().ok()?;
    (version > 0).then_some((version, name))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn a_version_is_positive_decimal_digits_and_a_name_follows() {
        assert_eq!(parse("0001_create_invoices"), Some((1, "create_invoices")));
        assert_eq!(parse("20240101_a_b"), Some((20_240_101, "a_b")));
        for bad in [
            "create",
            "0_zero",
            "0001_",
            "_name",
            "v1_one",
            "+1_plus",
            "-1_minus",
            "99999999999999999999_too_big",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
