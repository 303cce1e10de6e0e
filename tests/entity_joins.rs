//! Joins that return the joined entity, and updates by expression, on a real
//! PostgreSQL with two tenants whose rows share ids.

mod support;

use support::projects::{Project, Task, database, seeded};

#[tokio::test]
async fn joins_return_each_row_with_its_tenants_joined_entity() {
    let database = database().await;
    let (acme, globex) = seeded(&database).await;

    let pairs: Vec<(Task, Project)> = acme
        .select::<Task>()
        .inner_join_entity::<Project>(Project::ID.eq_column(Task::PROJECT_ID))
        .order_by(Task::ID.asc())
        .all()
        .await
        .unwrap();
    let summary: Vec<(i64, String)> = pairs
        .iter()
        .map(|(task, project)| (task.id, project.name.clone()))
        .collect();
    assert_eq!(
        summary,
        [(1, "Web".into()), (2, "Web".into()), (3, "Web".into())]
    );
    assert!(pairs.iter().all(|(task, project)| {
        task.tenant_id == acme.tenant() && project.tenant_id == acme.tenant()
    }));

    // From projects, left: acme's project 2 has no task (globex's has three).
    let with_tasks: Vec<(Project, Option<Task>)> = acme
        .select::<Project>()
        .left_join_entity::<Task>(Task::PROJECT_ID.eq_column(Project::ID))
        .order_by(Project::ID.asc())
        .order_by(Task::ID.asc())
        .all()
        .await
        .unwrap();
    let summary: Vec<(String, Option<i64>)> = with_tasks
        .iter()
        .map(|(project, task)| (project.name.clone(), task.as_ref().map(|t| t.id)))
        .collect();
    assert_eq!(
        summary,
        [
            ("Web".into(), Some(1)),
            ("Web".into(), Some(2)),
            ("Web".into(), Some(3)),
            ("Idle".into(), None),
        ]
    );
    let globex_tasks = globex
        .select::<Project>()
        .left_join_entity::<Task>(Task::PROJECT_ID.eq_column(Project::ID))
        .filter(Project::ID.eq(2))
        .all()
        .await
        .unwrap();
    assert_eq!(globex_tasks.len(), 3);
    assert!(globex_tasks.iter().all(|(_, task)| task.is_some()));
}

#[tokio::test]
async fn updates_by_expression_change_the_tenants_rows_only() {
    let database = database().await;
    let (acme, globex) = seeded(&database).await;

    let moved = acme
        .update::<Task>()
        .set_expr(Task::HOURS, Task::HOURS.add(10).mul(2))
        .set(Task::OWNER, None)
        .filter(Task::ID.le(2))
        .all()
        .await
        .unwrap();
    let hours: Vec<(i64, i32)> = moved.iter().map(|t| (t.id, t.hours)).collect();
    assert_eq!(hours, [(1, 26), (2, 30)]);
    assert!(moved.iter().all(|t| t.owner.is_none()));

    let untouched: Vec<i32> = globex
        .select::<Task>()
        .order_by(Task::ID.asc())
        .columns(Task::HOURS)
        .all()
        .await
        .unwrap();
    assert_eq!(untouched, [100, 200, 300, 400]);
}
