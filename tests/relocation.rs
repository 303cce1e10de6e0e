//! Relocation: a tenant moved between placements and servers as an
//! operation, with a fenced cutover; resumed when killed, rolled back when
//! its copy does not verify; other tenants and other processes unaffected.

mod support;

mod relocation {
    mod concurrent_writers;
    mod fenced_copy;
    mod fixtures;
    mod instances;
    mod kills;
    mod online_attacks;
    mod online_copy;
    mod references;
    mod sequences;
    mod transitions;
    mod verification;
}
