//! The Citus suite, one concern per module.

mod delegated;
mod deployment;
mod fixture;
mod isolate;
mod operator;
mod schemas;
mod tenants;
