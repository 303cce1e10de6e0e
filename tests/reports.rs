//! Aggregates, grouping and the richer conditions on a real PostgreSQL as the
//! application role, always with a second tenant whose rows would change
//! every answer if they leaked in.

mod support;

use rust_decimal::Decimal;
use support::projects::{Project, Task, database, seeded};
use tenantry::{Filter, FromColumns, Tenant, TenantSelect};

/// One project's line of a report, read from its selected columns in order.
#[derive(FromColumns, Debug, PartialEq)]
struct ProjectLoad {
    project: String,
    tasks: i64,
    hours: Option<i64>,
}

/// A single-column report line, as a tuple struct.
#[derive(FromColumns, Debug, PartialEq)]
struct Owner(Option<String>);

#[tokio::test]
async fn aggregates_and_groups_count_the_tenants_rows_only() {
    let database = database().await;
    let (acme, globex) = seeded(&database).await;

    let totals = acme
        .select::<Task>()
        .columns((
            Task::ID.count(),
            Task::OWNER.count_distinct(),
            Task::HOURS.sum(),
            Task::HOURS.avg(),
            Task::COST.sum(),
            Task::COST.avg(),
            Task::HOURS.min(),
            Task::TITLE.max(),
        ))
        .one()
        .await
        .unwrap();
    assert_eq!(
        totals,
        (
            3,
            1,
            Some(9),
            Some(3.0),
            Some(Decimal::new(40_149, 2)),
            Some("133.83".parse().unwrap()),
            Some(1),
            Some("design review".to_owned()),
        )
    );

    // Grouped, filtered on the groups, ordered by an aggregate.
    let report = globex
        .select::<Task>()
        .columns((Task::PROJECT_ID, Task::ID.count(), Task::COST.sum()))
        .group_by(Task::PROJECT_ID)
        .having(Task::HOURS.sum().gt(50))
        .order_by(Task::COST.sum().desc())
        .all()
        .await
        .unwrap();
    assert_eq!(
        report,
        [
            (2, 3, Some(Decimal::new(900_000, 2))),
            (1, 1, Some(Decimal::new(100_000, 2))),
        ]
    );
    let report = acme
        .select::<Task>()
        .columns((Task::PROJECT_ID, Task::ID.count()))
        .group_by(Task::PROJECT_ID)
        .having(Task::HOURS.sum().gt(50))
        .all()
        .await
        .unwrap();
    assert!(report.is_empty(), "acme's hours are 9: {report:?}");

    // Over no rows: COUNT is 0, the others NULL.
    let none = acme
        .select::<Task>()
        .filter(Task::HOURS.gt(1_000))
        .columns((
            Task::ID.count(),
            Task::HOURS.sum(),
            Task::COST.avg(),
            Task::TITLE.min(),
        ))
        .one()
        .await
        .unwrap();
    assert_eq!(none, (0, None, None, None));

    // A grouped report over a join: both tables constrained to acme.
    let per_project = acme
        .select::<Project>()
        .left_join::<Task>(Task::PROJECT_ID.eq_column(Project::ID))
        .columns((Project::NAME, Task::ID.count(), Task::HOURS.sum()))
        .group_by(Project::NAME)
        .order_by(Project::NAME.asc())
        .all()
        .await
        .unwrap();
    assert_eq!(
        per_project,
        [("Idle".to_owned(), 0, None), ("Web".to_owned(), 3, Some(9))]
    );

    // The same report into a struct of the application's, per tenant.
    let load = |project: &str, tasks, hours| ProjectLoad {
        project: project.to_owned(),
        tasks,
        hours,
    };
    for (tenant, expected) in [
        (&acme, [load("Idle", 0, None), load("Web", 3, Some(9))]),
        (
            &globex,
            [load("Busy", 3, Some(900)), load("Other", 1, Some(100))],
        ),
    ] {
        let report = tenant
            .select::<Project>()
            .left_join::<Task>(Task::PROJECT_ID.eq_column(Project::ID))
            .columns((Project::NAME, Task::ID.count(), Task::HOURS.sum()))
            .group_by(Project::NAME)
            .order_by(Project::NAME.asc())
            .map_into::<ProjectLoad>()
            .all()
            .await
            .unwrap();
        assert_eq!(report, expected);
    }
    let owners = acme
        .select::<Task>()
        .columns(Task::OWNER)
        .distinct()
        .order_by(Task::OWNER.asc())
        .map_into::<Owner>()
        .all()
        .await
        .unwrap();
    assert_eq!(owners, [Owner(Some("ada".to_owned())), Owner(None)]);

    let owners = acme
        .select::<Task>()
        .columns(Task::OWNER)
        .distinct()
        .order_by(Task::OWNER.asc())
        .all()
        .await
        .unwrap();
    assert_eq!(owners, [Some("ada".to_owned()), None]);
}

/// The ids of the tenant's tasks matching `filter`, in order.
macro_rules! ids {
    ($tenant:expr, $filter:expr) => {
        $tenant
            .select::<Task>()
            .filter($filter)
            .order_by(Task::ID.asc())
            .columns(Task::ID)
            .all()
            .await
            .unwrap()
    };
}

#[tokio::test]
async fn conditions_match_as_postgresql_defines_them() {
    let database = database().await;
    let (acme, globex) = seeded(&database).await;

    assert_eq!(ids!(acme, Task::HOURS.between(1, 3)), [1, 3]);
    assert_eq!(
        ids!(
            acme,
            Task::COST.between(Decimal::new(99, 2), Decimal::new(15_000, 2))
        ),
        [1, 3]
    );
    assert_eq!(ids!(acme, Task::TITLE.ilike("design%")), [1, 2]);
    assert_eq!(ids!(globex, Task::TITLE.ilike("DESIGN")), [1, 3]);
    // `%` and `_` in a prefix match themselves.
    assert_eq!(ids!(acme, Task::TITLE.starts_with("Design 50%_")), [1]);
    assert!(ids!(acme, Task::TITLE.starts_with("Design 50%x")).is_empty());
    assert_eq!(ids!(globex, Task::TITLE.starts_with("Design 50%")), [2]);
    assert_eq!(ids!(acme, Task::TITLE.starts_with("D")), [1, 3]);
    // NULL is a value for IS DISTINCT FROM.
    assert_eq!(
        ids!(acme, Task::OWNER.is_distinct_from(Some("ada".to_owned()))),
        [3]
    );
    assert_eq!(
        ids!(acme, Task::OWNER.ne(Some("ada".to_owned()))),
        Vec::<i64>::new()
    );
    assert_eq!(ids!(acme, Task::OWNER.is_not_distinct_from(None)), [3]);
    assert_eq!(ids!(globex, Task::OWNER.is_distinct_from(None)), [1, 2, 3]);
}

/// The names of the tenant's projects that have a task (`exists`) or none.
async fn project_names(tenant: &Tenant, exists: bool) -> Vec<String> {
    let tasks = tenant
        .select::<Task>()
        .correlate::<Project>()
        .filter(Task::PROJECT_ID.eq_column(Project::ID));
    let filter = if exists {
        Filter::exists(tasks)
    } else {
        Filter::not_exists(tasks)
    };
    tenant
        .select::<Project>()
        .filter(filter)
        .order_by(Project::ID.asc())
        .columns(Project::NAME)
        .all()
        .await
        .unwrap()
}

/// The tenant's tasks of 100 hours or more, as a query for a caller to use.
fn heavy(tenant: &Tenant) -> TenantSelect<'_, Task> {
    tenant.select::<Task>().filter(Task::HOURS.ge(100))
}

#[tokio::test]
async fn exists_subqueries_are_scoped_and_correlated() {
    let database = database().await;
    let (acme, globex) = seeded(&database).await;

    // acme's project 2 has no task, though globex's project 2 has three.
    assert_eq!(project_names(&acme, true).await, ["Web"]);
    assert_eq!(project_names(&acme, false).await, ["Idle"]);
    assert_eq!(project_names(&globex, true).await, ["Other", "Busy"]);

    // Uncorrelated: acme has no task of 100 hours, globex has.
    let acme_projects = acme
        .select::<Project>()
        .filter(Filter::exists(heavy(&acme)))
        .count();
    assert_eq!(acme_projects.await.unwrap(), 0);
    let globex_projects = globex
        .select::<Project>()
        .filter(Filter::exists(heavy(&globex)))
        .count();
    assert_eq!(globex_projects.await.unwrap(), 2);

    // Another tenant's subquery is refused, not run.
    let result = acme
        .select::<Project>()
        .filter(Filter::exists(heavy(&globex)))
        .all()
        .await;
    assert!(
        matches!(
            result,
            Err(tenantry::Error::Query(
                tenantry::QueryError::ScopeMismatch { .. }
            ))
        ),
        "{result:?}"
    );
}
