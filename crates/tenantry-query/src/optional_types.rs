//! Column value types from other crates, each behind the feature named for it.

#[cfg(feature = "chrono")]
mod chrono_types {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

    use crate::{ArrayElement, SqlValue};

    impl SqlValue for NaiveDate {}
    impl SqlValue for NaiveTime {}
    impl SqlValue for NaiveDateTime {}
    impl SqlValue for DateTime<Utc> {}
    impl ArrayElement for NaiveDate {}
    impl ArrayElement for NaiveTime {}
    impl ArrayElement for NaiveDateTime {}
    impl ArrayElement for DateTime<Utc> {}
}

#[cfg(feature = "cidr")]
mod cidr_types {
    use cidr::{IpCidr, IpInet};

    use crate::{ArrayElement, SqlValue};

    impl SqlValue for IpInet {}
    impl SqlValue for IpCidr {}
    impl ArrayElement for IpInet {}
    impl ArrayElement for IpCidr {}
}

#[cfg(feature = "decimal")]
mod decimal_types {
    use rust_decimal::Decimal;

    use crate::{ArrayElement, SqlValue};

    impl SqlValue for Decimal {}
    impl ArrayElement for Decimal {}
}
