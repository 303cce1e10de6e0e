//! The parts of `scoping_properties.rs`: the random cases, how they are
//! built, and how their SQL is checked.

pub mod cases;
pub mod scan;
pub mod statements;
