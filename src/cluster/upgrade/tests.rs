use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus};

use super::in_flight;

fn job(ready: i32, conditions: &[(&str, &str)]) -> Job {
    Job {
        status: Some(JobStatus {
            ready: Some(ready),
            conditions: Some(
                conditions
                    .iter()
                    .map(|(type_, status)| JobCondition {
                        type_: (*type_).to_string(),
                        status: (*status).to_string(),
                        ..JobCondition::default()
                    })
                    .collect(),
            ),
            ..JobStatus::default()
        }),
        ..Job::default()
    }
}

#[test]
fn a_database_upgrade_is_in_flight_while_its_pod_runs_and_the_job_has_not_ended() {
    assert!(in_flight(&job(1, &[])));
    assert!(in_flight(&job(1, &[("Failed", "False")])));
    // Not started (image not pulled yet, or never), or ended.
    assert!(!in_flight(&Job::default()));
    assert!(!in_flight(&job(0, &[])));
    assert!(!in_flight(&job(1, &[("Complete", "True")])));
    assert!(!in_flight(&job(
        1,
        &[("FailureTarget", "True"), ("Failed", "True")]
    )));
}
