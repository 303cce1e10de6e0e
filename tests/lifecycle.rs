//! A tenant's life as operations: suspended and resumed with who asked and
//! why, recorded for good; provisioning that leaves no debris; erasure with
//! a proof.

mod support;

mod lifecycle {
    mod erasure;
    mod erasure_fixtures;
    mod erasure_kills;
    mod erasure_references;
    mod provisioning;
    mod suspension;
}
