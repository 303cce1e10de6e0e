//! The API: projects and their tasks, and a report. Every handler takes the
//! request's `Tenant`, and reaches no data but through it; each route is
//! served at the root and under `/t/{tenant}`, where the path must name the
//! tenant the credential proves.

use std::collections::HashMap;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tenantry::axum::{Problem, Tenant, TenantResolver};
use tenantry::prelude::*;

use super::model::{NewProject, NewTask, Project, Task};

/// The routes, served with `resolver`.
pub fn router(resolver: TenantResolver) -> Router {
    let api = Router::new()
        .route("/projects", get(list_projects).post(create_project))
        .route("/projects/{id}", patch(update_project))
        .route("/projects/{id}/tasks", get(list_tasks).post(create_task))
        .route("/tasks/{id}", patch(update_task))
        .route("/report", get(report));
    Router::new()
        .merge(api.clone())
        .nest("/t/{tenant}", api)
        .with_state(resolver)
}

/// A project to create.
#[derive(Deserialize)]
pub struct CreateProject {
    name: String,
}

/// What to change of a project.
#[derive(Deserialize)]
pub struct ProjectChanges {
    name: Option<String>,
    archived: Option<bool>,
}

/// A task to create.
#[derive(Deserialize)]
pub struct CreateTask {
    title: String,
}

/// What to change of a task.
#[derive(Deserialize)]
pub struct TaskChanges {
    title: Option<String>,
    done: Option<bool>,
}

/// One project's line of the report.
#[derive(Serialize)]
pub struct ProjectReport {
    id: Uuid,
    name: String,
    archived: bool,
    tasks: i64,
    done: i64,
}

/// The path's id; under `/t/{tenant}` the tenant comes first.
#[derive(Deserialize)]
pub struct IdPath {
    id: Uuid,
}

async fn list_projects(tenant: Tenant) -> Result<Json<Vec<Project>>, Problem> {
    let projects = tenant
        .select::<Project>()
        .order_by(Project::NAME.asc())
        .all()
        .await?;
    Ok(Json(projects))
}

async fn create_project(
    tenant: Tenant,
    Json(body): Json<CreateProject>,
) -> Result<(StatusCode, Json<Project>), Problem> {
    let project = tenant
        .insert(NewProject {
            id: Uuid::new_v4(),
            name: body.name,
            archived: false,
        })
        .returning()
        .one()
        .await?;
    Ok((StatusCode::CREATED, Json(project)))
}

async fn update_project(
    tenant: Tenant,
    Path(IdPath { id }): Path<IdPath>,
    Json(changes): Json<ProjectChanges>,
) -> Result<Json<Project>, Problem> {
    if changes.name.is_none() && changes.archived.is_none() {
        let project = tenant
            .select::<Project>()
            .filter(Project::ID.eq(id))
            .one()
            .await?;
        return Ok(Json(project));
    }
    let mut update = tenant.update::<Project>().filter(Project::ID.eq(id));
    if let Some(name) = changes.name {
        update = update.set(Project::NAME, name);
    }
    if let Some(archived) = changes.archived {
        update = update.set(Project::ARCHIVED, archived);
    }
    Ok(Json(update.returning().one().await?))
}

async fn list_tasks(
    tenant: Tenant,
    Path(IdPath { id }): Path<IdPath>,
) -> Result<Json<Vec<Task>>, Problem> {
    // The project is the tenant's, or the answer is 404.
    tenant
        .select::<Project>()
        .filter(Project::ID.eq(id))
        .one()
        .await?;
    let tasks = tenant
        .select::<Task>()
        .filter(Task::PROJECT_ID.eq(id))
        .order_by(Task::TITLE.asc())
        .all()
        .await?;
    Ok(Json(tasks))
}

async fn create_task(
    tenant: Tenant,
    Path(IdPath { id }): Path<IdPath>,
    Json(body): Json<CreateTask>,
) -> Result<(StatusCode, Json<Task>), Problem> {
    tenant
        .select::<Project>()
        .filter(Project::ID.eq(id))
        .one()
        .await?;
    let task = tenant
        .insert(NewTask {
            id: Uuid::new_v4(),
            project_id: id,
            title: body.title,
            done: false,
        })
        .returning()
        .one()
        .await?;
    Ok((StatusCode::CREATED, Json(task)))
}

async fn update_task(
    tenant: Tenant,
    Path(IdPath { id }): Path<IdPath>,
    Json(changes): Json<TaskChanges>,
) -> Result<Json<Task>, Problem> {
    if changes.title.is_none() && changes.done.is_none() {
        let task = tenant
            .select::<Task>()
            .filter(Task::ID.eq(id))
            .one()
            .await?;
        return Ok(Json(task));
    }
    let mut update = tenant.update::<Task>().filter(Task::ID.eq(id));
    if let Some(title) = changes.title {
        update = update.set(Task::TITLE, title);
    }
    if let Some(done) = changes.done {
        update = update.set(Task::DONE, done);
    }
    Ok(Json(update.returning().one().await?))
}

/// Each project with its tasks counted, and those done.
async fn report(tenant: Tenant) -> Result<Json<Vec<ProjectReport>>, Problem> {
    let counts = |done_only: bool| {
        tenant
            .select::<Task>()
            .filter_if(done_only, || Task::DONE.eq(true))
            .columns((Task::PROJECT_ID, Task::ID.count()))
            .group_by(Task::PROJECT_ID)
            .all()
    };
    let tasks: HashMap<Uuid, i64> = counts(false).await?.into_iter().collect();
    let done: HashMap<Uuid, i64> = counts(true).await?.into_iter().collect();
    let projects = tenant
        .select::<Project>()
        .order_by(Project::NAME.asc())
        .all()
        .await?;
    let lines = projects
        .into_iter()
        .map(|project| ProjectReport {
            tasks: tasks.get(&project.id).copied().unwrap_or(0),
            done: done.get(&project.id).copied().unwrap_or(0),
            id: project.id,
            name: project.name,
            archived: project.archived,
        })
        .collect();
    Ok(Json(lines))
}
