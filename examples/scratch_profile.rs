#[path = "../tests/support/mod.rs"]
#[allow(dead_code)]
mod support;
use std::time::Instant;
use support::database::TestDatabase;
use support::{Customer, NewCustomer};
use tenantry::{TenantId, Tenantry};
use uuid::Uuid;

fn main() {
    let which = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let database = TestDatabase::create().await;
        let admin = database.admin().await;
        admin.batch_execute("CREATE TABLE customers_plain (LIKE customers INCLUDING ALL)").await.unwrap();
        admin.batch_execute(&format!("GRANT SELECT, INSERT ON customers_plain TO {}", database.app_role)).await.unwrap();
        let db = Tenantry::connect(database.app_config().pool_size(4)).await.unwrap();
        let tenant = TenantId::random();
        let ids: Vec<Uuid> = (0..1000).map(|_| Uuid::new_v4()).collect();
        let handle = db.tenant(tenant).await.unwrap();
        handle.insert_many(ids.iter().map(|&id| NewCustomer { id, name: format!("c {id}"), email: None })).exec().await.unwrap();
        handle.raw_execute("INSERT INTO customers_plain SELECT * FROM customers", &[]).await.unwrap();
        admin.batch_execute("ANALYZE").await.unwrap();
        let (client, connection) = tokio_postgres::connect(&database.app_url(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        let select = client.prepare("SELECT tenant_id, id, name, email FROM customers_plain WHERE tenant_id = $1 AND id = $2").await.unwrap();
        let tu = tenant.as_uuid();
        eprintln!("READY {}", std::process::id());
        { let id = ids[0]; let f = async { let _c: Customer = handle.select::<Customer>().filter(Customer::ID.eq(id)).one().await.unwrap(); }; eprintln!("tenantry future {} bytes", std::mem::size_of_val(&f));
          let f2 = async { let row = client.query_one(&select, &[&tu, &id]).await.unwrap(); let _n: String = row.get(2); }; eprintln!("raw future {} bytes", std::mem::size_of_val(&f2)); }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        if let Some(mode) = which.strip_suffix("16") {
            let mut raws = Vec::new();
            for _ in 0..16 { let (c, conn) = tokio_postgres::connect(&database.app_url(), tokio_postgres::NoTls).await.unwrap(); tokio::spawn(conn); let s = c.prepare("SELECT tenant_id, id, name, email FROM customers_plain WHERE tenant_id = $1 AND id = $2").await.unwrap(); raws.push(std::sync::Arc::new((c, s))); }
            let db16 = Tenantry::connect(database.app_config().pool_size(16)).await.unwrap();
            let h16 = db16.tenant(tenant).await.unwrap();
            let ids = std::sync::Arc::new(ids.clone());
            let start = Instant::now();
            let mut tasks = Vec::new();
            for t in 0..16 {
                let (h, ids, raw, mode) = (h16.clone(), ids.clone(), raws[t].clone(), mode.to_owned());
                tasks.push(tokio::spawn(async move {
                    for i in 0..n / 16 {
                        let id = ids[(t * 61 + i) % ids.len()];
                        if mode == "tenantry" {
                            let _c: Customer = h.select::<Customer>().filter(Customer::ID.eq(id)).one().await.unwrap();
                        } else {
                            let row = raw.0.query_one(&raw.1, &[&tu, &id]).await.unwrap();
                            let _n: String = row.get(2);
                        }
                    }
                }));
            }
            for t in tasks { t.await.unwrap(); }
            eprintln!("{which}: {:.1} us/op", start.elapsed().as_secs_f64() * 1e6 / n as f64);
            return;
        }
        let start = Instant::now();
        for i in 0..n {
            let id = ids[i % ids.len()];
            if which == "tenantry" {
                let _c: Customer = handle.select::<Customer>().filter(Customer::ID.eq(id)).one().await.unwrap();
            } else {
                let row = client.query_one(&select, &[&tu, &id]).await.unwrap();
                let _n: String = row.get(2);
            }
        }
        eprintln!("{which}: {:.1} us/op", start.elapsed().as_secs_f64() * 1e6 / n as f64);
    });
}
