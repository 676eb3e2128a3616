//! The label and annotation keys (and fixed values) storectl reads and writes on the
//! cluster: the original platform's scheme, storectl's mark, and its own bookkeeping. A
//! leaf: every other module names them from here.

/// The original platform's label keys and value, kept so its stores stay manageable.
pub const LABEL_APP: &str = "app";
pub const LABEL_COMPONENT: &str = "component";
pub const LABEL_MANAGED_BY: &str = "managed-by";
pub const MANAGED_BY: &str = "ecommerce-platform";
pub const PART_OF: &str = "ecommerce-platform";

/// Selects every object of every store (what watches and lists use).
pub const STORE_SELECTOR: &str = "managed-by=ecommerce-platform";

/// The label storectl sets on everything it creates (with `MARK_VALUE`).
pub const MARK_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MARK_VALUE: &str = "storectl";
/// The annotation naming the store an object was made for.
pub const STORE_ANNOTATION: &str = "storectl.io/store";

/// On a store's Deployments while it is paused (`storectl pause`).
pub const PAUSED_LABEL: &str = "storectl.io/paused";
/// On a store's WordPress Deployment while a restore holds it stopped: the backup's id
/// (a label, so that the slim watch keeps it). Set when WordPress is stopped for the
/// restore, removed only when it is started again (the restore succeeded or changed
/// nothing, or `storectl resume`).
pub const RESTORING_LABEL: &str = "storectl.io/restoring";
/// On a store's Deployments: the revision last applied to them (`storectl upgrade`,
/// `rollback`), and when; the status rules count the provisioning deadline from then.
pub const REVISION_ANNOTATION: &str = "storectl.io/revision";
pub const APPLIED_ANNOTATION: &str = "storectl.io/applied";
/// On the WordPress Deployment: the WooCommerce version the configuration pins
/// (`woocommerce.version`, what the setup and database upgrade Jobs install), so `diff`
/// shows a change of it; what the store runs is the store's to report, not this.
pub const WOOCOMMERCE_ANNOTATION: &str = "storectl.io/woocommerce-version";
/// Beside it, where `woocommerce.extraPlugins` lists any: `name=version,...` in order.
pub const EXTRA_PLUGINS_ANNOTATION: &str = "storectl.io/extra-plugins";

/// On a store's Lease `<store>-report`: what its runner found the store runs (JSON,
/// written by the store itself: `domain/report.rs` reads it as untrusted).
pub const REPORT_ANNOTATION: &str = "storectl.io/report";

/// Label on every revision ConfigMap: its number.
pub const REVISION_LABEL: &str = "storectl.io/revision";

/// Label on every Job that backs a store up (manual or scheduled): the store's name.
pub const BACKUP_OF_LABEL: &str = "storectl.io/backup-of";

/// Label on a backup record: the backup's id.
pub const BACKUP_LABEL: &str = "storectl.io/backup";

/// Label on the platform-side objects of one store's access: the store's name.
pub const ACCESS_OF_LABEL: &str = "storectl.io/backup-access-of";

/// On the WordPress Deployment (metadata, read by `status`): the mail settings the store
/// was given, as JSON `{"host":..,"port":..,"from":..}`; absent while mail is off.
pub const MAIL_ANNOTATION: &str = "storectl.io/mail";
/// On a `storectl mail-test` Job and its pod: the store it tests (not a setup Job).
pub const MAIL_TEST_OF_LABEL: &str = "storectl.io/mail-test-of";
