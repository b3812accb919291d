//! Linkage tasks (联动任务): what a bound party organisation is asked to do
//! about an incident — accept, act, report back; closed with the incident.

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Accepted,
    Completed,
    /// The incident closed before the task was completed.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskAction {
    Accept,
    Complete,
    /// The incident closed.
    Close,
}

#[derive(Debug, Clone)]
pub struct LinkageTask {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub incident_id: Uuid,
    pub status: TaskStatus,
    pub note: String,
    pub correlation_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The member the task was handed to.
    pub delegated_to: Option<Uuid>,
}

/// A task is handed to a member once its organisation has accepted it and
/// until it is finished.
pub fn can_delegate(status: TaskStatus) -> Result<(), String> {
    match status {
        TaskStatus::Accepted => Ok(()),
        TaskStatus::Open => Err("accept the task before delegating it".into()),
        other => Err(format!("a task that is {} cannot be delegated", other.as_str())),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTaskTransition {
    pub from: TaskStatus,
    pub action: TaskAction,
}

impl std::fmt::Display for IllegalTaskTransition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let action = match self.action {
            TaskAction::Accept => "accept",
            TaskAction::Complete => "complete",
            TaskAction::Close => "close",
        };
        write!(f, "cannot {action} a task that is {}", self.from.as_str())
    }
}

pub fn transition(from: TaskStatus, action: TaskAction) -> Result<TaskStatus, IllegalTaskTransition> {
    match (from, action) {
        (TaskStatus::Open, TaskAction::Accept) => Ok(TaskStatus::Accepted),
        (TaskStatus::Accepted, TaskAction::Complete) => Ok(TaskStatus::Completed),
        (TaskStatus::Open | TaskStatus::Accepted, TaskAction::Close) => Ok(TaskStatus::Closed),
        _ => Err(IllegalTaskTransition { from, action }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_accepted_then_completed() {
        let s = transition(TaskStatus::Open, TaskAction::Accept).unwrap();
        assert_eq!(transition(s, TaskAction::Complete), Ok(TaskStatus::Completed));
    }

    #[test]
    fn only_an_accepted_task_is_delegated() {
        assert!(can_delegate(TaskStatus::Accepted).is_ok());
        assert!(can_delegate(TaskStatus::Open).is_err());
        assert!(can_delegate(TaskStatus::Completed).is_err());
    }

    #[test]
    fn a_task_must_be_accepted_before_it_is_completed() {
        assert!(transition(TaskStatus::Open, TaskAction::Complete).is_err());
    }

    #[test]
    fn closing_the_incident_leaves_completed_tasks_alone() {
        assert!(transition(TaskStatus::Completed, TaskAction::Close).is_err());
        assert_eq!(transition(TaskStatus::Accepted, TaskAction::Close), Ok(TaskStatus::Closed));
    }
}
