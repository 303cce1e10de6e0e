//! The guarantees that hold at compile time: each file in `compile_fail/`
//! tries one thing the library forbids (tenant data without a tenant handle,
//! setting or comparing the tenant id by hand, a condition on an entity the
//! query does not read, a malformed entity, ...) and must fail to compile
//! with the error checked in next to it.

#[test]
fn forbidden_uses_do_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/compile_fail/*.rs");
}
