use k8s_openapi::api::core::v1::Container;

use super::*;
use crate::domain::config::{self, tests::sources_with};
use crate::domain::name::StoreName;

fn setup(sets: &[&str]) -> (StoreLayout, Config) {
    let config = config::load(&sources_with(sets)).unwrap_or_else(|e| panic!("{e}"));
    let name = StoreName::parse("shop", "store-").unwrap_or_else(|e| panic!("{e}"));
    (StoreLayout::new(&name, &config), config)
}

fn env_of(job: &Job) -> BTreeMap<String, String> {
    let pod = job.spec.as_ref().and_then(|s| s.template.spec.as_ref());
    pod.map(|p| env_in(&p.containers[0])).unwrap_or_default()
}

fn env_in(container: &Container) -> BTreeMap<String, String> {
    container
        .env
        .iter()
        .flatten()
        .map(|e| {
            let value = e.value.clone().unwrap_or_else(|| "<secret>".to_string());
            (e.name.clone(), value)
        })
        .collect()
}

#[test]
fn a_backup_job_runs_the_script_against_the_zero_set_up_target_by_default() {
    let (layout, config) = setup(&[]);
    let job = backup_job(&layout, &config, "20261126-101500");
    assert_eq!(
        job.metadata.name.as_deref(),
        Some("shop-backup-20261126-101500")
    );
    let env = env_of(&job);
    assert_eq!(
        env["S3_ENDPOINT"],
        "http://storectl-backups.ecommerce-platform.svc:7070"
    );
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "<secret>");
    assert_eq!(env["WORDPRESS_DB_PASSWORD"], "<secret>");
    assert_eq!(env["S3_BUCKET"], "backups-shop", "the store's own bucket");
    assert_eq!(env["KEEP"], "7");
    let pod = job.spec.as_ref().and_then(|s| s.template.spec.as_ref());
    let script = pod.and_then(|p| p.containers[0].command.clone());
    assert_eq!(script.map(|c| c[2].clone()).as_deref(), Some(BACKUP_SCRIPT));
    assert_eq!(
        job.metadata
            .labels
            .as_ref()
            .map(|l| l[BACKUP_OF_LABEL].as_str()),
        Some("shop")
    );
}

#[test]
fn an_s3_target_is_reached_on_its_own_port_and_a_clone_rewrites_urls() {
    let (layout, config) = setup(&[
        "backup.target=s3",
        "backup.s3.endpoint=https://s3.example.com:9443",
        "backup.s3.bucket=shop-backups",
        "backup.s3.credentialsSecret=s3-keys",
    ]);
    let egress = &policies(&layout, &config)[1];
    let rules = egress
        .spec
        .as_ref()
        .and_then(|s| s.egress.clone())
        .unwrap_or_default();
    let ports = rules[1].ports.clone().unwrap_or_default();
    assert_eq!(ports[0].port, Some(IntOrString::Int(9443)));
    assert!(rules[1].to.is_none(), "an outside bucket: any address");
    let job = restore_job(
        &layout,
        &config,
        "20261126-120000",
        "source",
        "20261126-101500",
        Some(UrlRewrite {
            old: "http://source.local",
            new: "http://shop.local",
        }),
        Duration::from_secs(600),
    );
    let pod = job.spec.as_ref().and_then(|s| s.template.spec.clone());
    let pod = pod.unwrap_or_default();
    let names = |cs: &[Container]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let init = pod.init_containers.clone().unwrap_or_default();
    assert_eq!(names(&init), ["wait-for-mysql", "wordpress-core", "backup"]);
    assert_eq!(names(&pod.containers), [REWRITE_URLS]);
    let vars = |c: &Container| {
        c.env
            .iter()
            .flatten()
            .map(|e| e.name.clone())
            .collect::<Vec<_>>()
    };
    // The script holds the target's keys and root's password; the rewrite neither.
    let script = vars(&init[2]);
    assert!(script.contains(&"AWS_SECRET_ACCESS_KEY".to_string()));
    assert!(script.contains(&"MYSQL_ROOT_PASSWORD".to_string()));
    assert!(!script.contains(&"CREATE_BUCKET".to_string()));
    let script = env_in(&init[2]);
    assert_eq!(script["BACKUP_STORE"], "source");
    assert_eq!(
        script["S3_BUCKET"], "shop-backups",
        "the operator's one bucket"
    );
    assert_eq!(env_in(&pod.containers[0])["NEW_URL"], "http://shop.local");
    assert_eq!(
        vars(&pod.containers[0]),
        [
            "WORDPRESS_DB_HOST",
            "WORDPRESS_DB_NAME",
            "WORDPRESS_DB_USER",
            "WORDPRESS_DB_PASSWORD",
            "OLD_URL",
            "NEW_URL"
        ]
    );
    // storectl's search-replace with the store's own PHP, loading no WordPress.
    let rewrite = pod.containers[0].command.clone().unwrap_or_default();
    assert_eq!(rewrite[3..], ["rewrite-urls", search_replace_php()]);
    assert!(!rewrite[4].contains("wp-load.php"));
    assert_eq!(
        pod.containers[0].image.as_deref(),
        Some(config.wordpress.image.as_str())
    );
    let mounts = pod.containers[0].volume_mounts.clone().unwrap_or_default();
    let mounts: Vec<&str> = mounts.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(mounts, ["core", "data"], "WordPress as it runs, no scratch");
    let spec = job.spec.unwrap_or_default();
    assert_eq!(spec.backoff_limit, Some(0));
    assert_eq!(spec.active_deadline_seconds, Some(600));
}

#[test]
fn backup_jobs_and_their_schedule_have_deadlines() {
    let (layout, config) = setup(&["backup.schedule=@daily"]);
    let job = backup_job(&layout, &config, "20261126-101500");
    assert_eq!(env_of(&job)["JOB_DEADLINE_SECONDS"], "21600");
    assert_eq!(
        job.spec.and_then(|s| s.active_deadline_seconds),
        Some(21_600)
    );
    let schedule = backup_schedule(&layout, &config).spec.unwrap_or_default();
    assert_eq!(schedule.starting_deadline_seconds, Some(3600));
    let template = schedule.job_template.spec.unwrap_or_default();
    assert_eq!(template.active_deadline_seconds, Some(21_600));
    assert_eq!(
        forget_job(&layout, &config, "x")
            .spec
            .and_then(|s| s.active_deadline_seconds),
        Some(21_600)
    );
}
