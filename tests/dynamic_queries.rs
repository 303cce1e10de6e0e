//! Queries built in one function from a request's optional filters and run
//! in another, on a real PostgreSQL with two tenants.

mod support;

use support::projects::{Project, Task, database, seeded};
use tenantry::query::Joined;
use tenantry::{Tenant, TenantSelect};

/// What a listing request may ask for.
#[derive(Default)]
struct TaskQuery<'q> {
    owner: Option<&'q str>,
    min_hours: Option<i32>,
    unowned_only: bool,
}

/// Tasks, each with its project.
type TasksWithProjects<'t> = TenantSelect<'t, Task, (Project, (Task, ())), Joined<Task, Project>>;

/// The tenant's tasks matching `query`, each with its project, by id.
fn tasks<'t>(tenant: &'t Tenant, query: &TaskQuery<'_>) -> TasksWithProjects<'t> {
    tenant
        .select::<Task>()
        .inner_join_entity::<Project>(Project::ID.eq_column(Task::PROJECT_ID))
        .filter_opt(
            query
                .owner
                .map(|owner| Task::OWNER.eq(Some(owner.to_owned()))),
        )
        .filter_opt(query.min_hours.map(|hours| Task::HOURS.ge(hours)))
        .filter_if(query.unowned_only, || Task::OWNER.is_null())
        .order_by(Task::ID.asc())
}

/// Runs `select` and keeps the task ids and project names.
async fn run(select: TasksWithProjects<'_>) -> Vec<(i64, String)> {
    select
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|(task, project)| (task.id, project.name))
        .collect()
}

#[tokio::test]
async fn optional_filters_apply_only_when_asked_for() {
    let database = database().await;
    let (acme, globex) = seeded(&database).await;
    let web = |ids: &[i64]| {
        ids.iter()
            .map(|id| (*id, "Web".to_owned()))
            .collect::<Vec<_>>()
    };

    assert_eq!(
        run(tasks(&acme, &TaskQuery::default())).await,
        web(&[1, 2, 3])
    );
    let ada = TaskQuery {
        owner: Some("ada"),
        ..TaskQuery::default()
    };
    assert_eq!(run(tasks(&acme, &ada)).await, web(&[1, 2]));
    let busy_ada = TaskQuery {
        min_hours: Some(4),
        ..ada
    };
    assert_eq!(run(tasks(&acme, &busy_ada)).await, web(&[2]));
    let unowned = TaskQuery {
        unowned_only: true,
        ..TaskQuery::default()
    };
    assert_eq!(run(tasks(&acme, &unowned)).await, web(&[3]));

    // The same query for the other tenant reads its rows only.
    assert_eq!(
        run(tasks(&globex, &busy_ada)).await,
        [(1, "Other".to_owned()), (3, "Busy".to_owned())]
    );
}
