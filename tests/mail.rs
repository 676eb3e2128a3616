//! A store's mail on the real control plane with the node simulator (issue 23, point 5):
//! `create` with `mail.*` copies the SMTP password into the store's own Secret and opens
//! exactly that port; `status` says where mail goes (or `not configured`);
//! `storectl mail-test` runs a Job in the store's namespace, prints the server's answer
//! (the simulator answers as storectl-mail-test.php would; tests/mail_php.rs runs the
//! script for real against an SMTP server), removes the Job, and exits 1 when the server
//! refuses, 3 for a store without mail, 4 for no such store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{cluster, storectl, unique};
use k8s_openapi::ByteString;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::Api;
use kube::api::{ListParams, ObjectMeta, PostParams};
use serde_json::Value;

const ADMIN: &str = "devcluster-admin";
const PLATFORM: &str = "ecommerce-platform";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// The platform's SMTP password Secret `name`, holding `password`.
async fn password_secret(name: &str, password: &str) {
    let client = cluster().admin().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let platform = Namespace {
        metadata: ObjectMeta {
            name: Some(PLATFORM.into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    let _ = namespaces.create(&PostParams::default(), &platform).await;
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            "password".to_string(),
            ByteString(password.as_bytes().to_vec()),
        )])),
        ..Secret::default()
    };
    Api::<Secret>::namespaced(client, PLATFORM)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
}

fn create(name: &str, sets: &[&str]) {
    let mut args = vec!["create", name, "--wait", "--timeout", "90s"];
    for set in sets {
        args.extend(["--set", set]);
    }
    block(|| storectl(cluster(), ADMIN, &args).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_sends_through_its_smtp_server_with_its_own_copy_of_the_password() {
    let c = cluster();
    let name = unique("mail");
    let secret_name = format!("{name}-smtp");
    let password = "s3cret-smtp-Pa55";
    password_secret(&secret_name, password).await;
    let secret_set = format!("mail.smtp.passwordSecret={secret_name}");
    create(
        &name,
        &[
            "mail.smtp.host=smtp.example.com",
            "mail.smtp.port=587",
            "mail.smtp.username=shop",
            &secret_set,
            "mail.from=Shop <shop@example.com>",
        ],
    );
    let ns = format!("store-{name}");
    let client = c.admin().await;
    let copy = Api::<Secret>::namespaced(client.clone(), &ns)
        .get(&format!("{name}-mail"))
        .await
        .unwrap();
    assert_eq!(
        copy.data.unwrap()["password"].0,
        password.as_bytes(),
        "the store's own copy"
    );
    let policy = Api::<NetworkPolicy>::namespaced(client.clone(), &ns)
        .get(&format!("{name}-mail"))
        .await
        .unwrap();
    let ports: Vec<String> = policy.spec.unwrap().egress.unwrap()[0]
        .ports
        .iter()
        .flatten()
        .map(|p| format!("{:?}", p.port))
        .collect();
    assert_eq!(ports, ["Some(Int(587))"], "exactly the SMTP port");

    let status = block(|| storectl(c, ADMIN, &["status", &name]).expect_code(0));
    assert!(
        status
            .stdout
            .contains("Mail:      smtp.example.com:587 from"),
        "{status:?}"
    );
    let json = block(|| storectl(c, ADMIN, &["status", &name, "-o", "json"]).expect_code(0));
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["mail"]["host"], "smtp.example.com", "{json}");

    let sent = block(|| {
        storectl(c, ADMIN, &["mail-test", &name, "--to", "owner@example.com"]).expect_code(0)
    });
    assert!(
        sent.stdout
            .contains("sent to owner@example.com: 250 2.0.0 Ok: queued at smtp.example.com"),
        "{sent:?}"
    );
    for out in [&status.stdout, &sent.stdout, &sent.stderr] {
        assert!(!out.contains(password), "the password was shown");
    }
    // The test's Job is gone once it answered.
    let jobs: Api<Job> = Api::namespaced(client, &ns);
    let left: Vec<String> = jobs
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|j| j.metadata.deletion_timestamp.is_none())
        .filter_map(|j| j.metadata.name)
        .filter(|n| n.contains("mail-test"))
        .collect();
    assert!(left.is_empty(), "mail test jobs left: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_a_store_without_mail_and_no_store_each_say_so() {
    let c = cluster();
    let refused = unique("mailno");
    create(
        &refused,
        &[
            "mail.smtp.host=refuses.example.com",
            "mail.from=shop@example.com",
        ],
    );
    let run = block(|| {
        storectl(
            c,
            ADMIN,
            &["mail-test", &refused, "--to", "owner@example.com"],
        )
        .expect_code(1)
    });
    assert!(run.stderr.contains("535 5.7.8"), "{run:?}");

    let plain = unique("mailoff");
    create(&plain, &[]);
    let status = block(|| storectl(c, ADMIN, &["status", &plain]).expect_code(0));
    assert!(
        status.stdout.contains("Mail:      not configured"),
        "{status:?}"
    );
    let off = block(|| {
        storectl(
            c,
            ADMIN,
            &["mail-test", &plain, "--to", "owner@example.com"],
        )
        .expect_code(3)
    });
    assert!(off.stderr.contains("mail"), "{off:?}");
    let policies: Vec<String> =
        Api::<NetworkPolicy>::namespaced(c.admin().await, &format!("store-{plain}"))
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .collect();
    assert!(
        !policies.iter().any(|p| p.ends_with("-mail")),
        "no SMTP port without mail: {policies:?}"
    );
    block(|| {
        storectl(
            c,
            ADMIN,
            &["mail-test", "no-such-store", "--to", "owner@example.com"],
        )
        .expect_code(4)
    });
    block(|| storectl(c, ADMIN, &["mail-test", &plain, "--to", "not an address"]).expect_code(2));
}
