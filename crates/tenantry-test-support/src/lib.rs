//! What the tenantry test suites share (the root package's and the
//! command's): where the local PostgreSQL servers are and how to make sure
//! they run, and throwaway databases and roles named after the test process,
//! so that parallel tests never meet and a killed run's leftovers are dropped
//! by the next; and servers of a test's own, with TLS certificates the test
//! makes; and throwaway databases on a Citus cluster. Not published.

pub mod certificates;
pub mod citus;
pub mod cluster;
pub mod local_server;
pub mod servers;
pub mod throwaway;
