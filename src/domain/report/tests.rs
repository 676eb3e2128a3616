use serde_json::json;

use super::*;

fn lease(report: &str, renewed: Option<&str>) -> WatchedLease {
    let lease = json!({
        "metadata": {"annotations": {REPORT_ANNOTATION: report}},
        "spec": {"renewTime": renewed},
    });
    serde_json::from_value(lease).unwrap()
}

const REPORT: &str = r#"{"versions":{"wordpress":"6.1.9","wordpressDatabase":53496,
 "wordpressDatabaseExpected":53496,"woocommerce":"10.1.2","woocommerceDatabase":"10.1.2",
 "php":"8.2.29","database":"10.11.19-MariaDB","plugins":{"woocommerce":{"version":"10.1.2","active":true}}},
 "cron":{"overdue":3,"lastRun":"2026-12-01T09:00:00Z"}}"#;

#[test]
fn a_report_reads_its_versions_and_takes_the_last_run_from_the_lease() {
    let found = read(&lease(REPORT, Some("2026-12-01T09:01:00Z"))).unwrap();
    let v = found.versions.as_ref().unwrap();
    assert_eq!(v.wordpress.as_deref(), Some("6.1.9"));
    assert_eq!(v.php.as_deref(), Some("8.2.29"));
    assert_eq!(v.wordpress_database, Some(53496));
    assert_eq!(found.cron.overdue, Some(3));
    // The Lease's renew time, not the annotation's copy, is when cron ran.
    assert_eq!(found.cron.last_run.as_deref(), Some("2026-12-01T09:01:00Z"));
    assert!(drift(&found, &[("woocommerce".into(), "10.1.2".into())]).is_empty());
}

#[test]
fn a_store_cannot_put_escape_sequences_or_megabytes_on_the_operators_screen() {
    let hostile = r#"{"versions":{"wordpress":"6.1\u001b]0;pwned\u0007","php":"8.2"},"error":"a\nb\u001b[2J"}"#;
    let found = read(&lease(hostile, None)).unwrap();
    assert_eq!(
        found.versions.unwrap().wordpress.as_deref(),
        Some("6.1^[]0;pwned^G")
    );
    assert_eq!(found.error.as_deref(), Some("a b^[[2J"));
    let long = format!(r#"{{"versions":{{"php":"{}"}}}}"#, "9".repeat(500));
    let php = read(&lease(&long, None))
        .unwrap()
        .versions
        .unwrap()
        .php
        .unwrap();
    assert_eq!(php.len(), MAX_VERSION + 3, "{php}");
    let huge = format!(r#"{{"error":"{}"}}"#, "x".repeat(MAX_REPORT_BYTES));
    assert_eq!(read(&lease(&huge, None)), None);
    assert_eq!(read(&lease("not json", None)), None);
}

#[test]
fn drift_names_each_pin_the_store_does_not_run_and_a_database_behind_its_code() {
    let behind = REPORT
        .replace(
            r#""wordpressDatabase":53496"#,
            r#""wordpressDatabase":51917"#,
        )
        .replace(
            r#""woocommerceDatabase":"10.1.2""#,
            r#""woocommerceDatabase":"9.9.0""#,
        );
    let found = read(&lease(&behind, None)).unwrap();
    let pins = [
        ("woocommerce".to_string(), "10.2.0".to_string()),
        ("mailpoet".to_string(), "5.12".to_string()),
    ];
    assert_eq!(
        drift(&found, &pins),
        [
            "runs woocommerce 10.1.2, the revision pins 10.2.0",
            "mailpoet is not installed, the revision pins 5.12",
            "WordPress's database is at schema 51917, its code expects 53496",
            "WooCommerce's database is at 9.9.0, the plugin at 10.1.2",
        ]
    );
}

#[test]
fn cron_counts_as_stopped_after_ten_minutes_without_a_run() {
    let found = read(&lease(REPORT, Some("2026-12-01T09:00:00Z"))).unwrap();
    let at = |t: &str| t.parse::<Timestamp>().unwrap();
    assert_eq!(cron_stopped(&found, at("2026-12-01T09:09:59Z")), None);
    assert_eq!(cron_stopped(&found, at("2026-12-01T09:10:01Z")), Some(10));
    assert_eq!(cron_stopped(&found, at("2026-12-01T10:00:00Z")), Some(60));
}
