//! The Citus suite, one concern per module.

mod deployment;
mod fixture;
mod isolate;
mod schemas;
mod tenants;
