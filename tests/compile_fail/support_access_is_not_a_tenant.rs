//! Support access is a handle of its own type: code written for a tenant's
//! own requests, which takes a tenant's handle, does not take it.
use tenantry::{SupportAccess, Tenant};

fn serve_request(_tenant: &Tenant) {}

fn look(support: &SupportAccess) {
    serve_request(support);
}

fn main() {
    let _ = look;
}
