<?php
// storectl's setup and database upgrade of a store's WordPress, through WordPress's own
// PHP API (what wp-cli would run). The setup Job and the database upgrade Job run it in
// the store's WordPress image as `php -r <this file without its first line> STEP`, one
// process per step, in the folder of WordPress (the image's core, the store's wp-content
// over it); tests/wordpress_jobs.rs runs it the same way. Steps:
//   core-install        installs WordPress unless it is (no plugin loaded)
//   plugins-install     the pinned plugins (WP_PINNED_PLUGINS, WooCommerce first), then
//                       WP_PLUGINS at their latest stable release, each unless installed,
//                       and activates them all
//   permalinks          /%postname%/ permalinks
//   rewrite-rules       the rewrite rules flushed, in a process of their own as wp-cli
//                       does: the taxonomies' rules exist only in a WordPress that
//                       started with the permalink structure set
//   core-upgrade        WordPress's database upgrade, when db_version is not core's
//                       (no plugin loaded)
//   plugins-upgrade     each pinned plugin whose installed version is not its pin,
//                       replaced by that release (an extra plugin also activated;
//                       WooCommerce stays as active as it was)
//   woocommerce-update  WooCommerce's pending database updates, when it is active
// Environment: WORDPRESS_DB_* and the salts (read by wp-config.php), WP_URL, WP_TITLE,
// WP_ADMIN_USER, WP_ADMIN_EMAIL, WP_ADMIN_PASSWORD (never printed), WP_PLUGINS (slugs),
// WP_PINNED_PLUGINS (slug=version ...), WP_PLUGIN_SOURCE (zips at
// {source}/{slug}.{version}.zip and {source}/{slug}.latest-stable.zip).
// Output: a line per thing done or found done; a failure is one line `error: STEP: why`
// on stderr and exit status 1.

const STORECTL_STEPS = [
    'core-install' => 'storectl_core_install',
    'plugins-install' => 'storectl_plugins_install',
    'permalinks' => 'storectl_permalinks',
    'rewrite-rules' => 'storectl_rewrite_rules',
    'core-upgrade' => 'storectl_core_upgrade',
    'plugins-upgrade' => 'storectl_plugins_upgrade',
    'woocommerce-update' => 'storectl_woocommerce_update',
];
const STORECTL_PERMALINKS = '/%postname%/';

function storectl_fail(string $why): void
{
    global $storectl_step;
    $line = trim(preg_replace('/\s+/', ' ', $why));
    fwrite(STDERR, "error: $storectl_step: $line\n");
    exit(1);
}

/// wp_die() (a database that refuses the login ends there too) as one line.
function storectl_die($message): void
{
    if (is_wp_error($message)) {
        $message = $message->get_error_message();
    }
    $text = html_entity_decode(strip_tags((string) $message));
    if (str_contains($text, 'Error establishing a database connection')) {
        $why = mysqli_connect_error() ?: 'no answer';
        $text = 'cannot connect to the database at ' . DB_HOST . ": $why";
    }
    storectl_fail($text === '' ? 'WordPress stopped (wp_die without a message)' : $text);
}

/// A PHP fatal error (a plugin's, say) ends with one line of ours after PHP's own.
function storectl_shutdown(): void
{
    $e = error_get_last();
    if ($e !== null && in_array($e['type'], [E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR], true)) {
        storectl_fail("PHP fatal error: {$e['message']} in {$e['file']}:{$e['line']}");
    }
}

function storectl_env(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        storectl_fail("$name is not set");
    }
    return $value;
}

function storectl_words(string $name): array
{
    return preg_split('/\s+/', (string) getenv($name), -1, PREG_SPLIT_NO_EMPTY);
}

/// [[slug, version], ...] from WP_PINNED_PLUGINS, in order.
function storectl_pinned(): array
{
    $pinned = [];
    foreach (storectl_words('WP_PINNED_PLUGINS') as $word) {
        $pair = explode('=', $word, 2);
        if (count($pair) !== 2 || $pair[0] === '' || $pair[1] === '') {
            storectl_fail("WP_PINNED_PLUGINS has '$word', not slug=version");
        }
        $pinned[] = $pair;
    }
    return $pinned;
}

/// The request WordPress thinks it serves: the store's URL (what wp-cli's --url sets).
function storectl_request(): void
{
    $url = parse_url((string) getenv('WP_URL')) ?: [];
    $host = $url['host'] ?? 'localhost';
    $_SERVER['HTTP_HOST'] = isset($url['port']) ? "$host:{$url['port']}" : $host;
    $_SERVER['SERVER_NAME'] = $host;
    $_SERVER['SERVER_PORT'] = (string) ($url['port'] ?? '80');
    $_SERVER['REQUEST_URI'] = '/';
    if (($url['scheme'] ?? '') === 'https') {
        $_SERVER['HTTPS'] = 'on';
    }
}

/// The main file of the plugin in folder `$slug` ('woocommerce/woocommerce.php'), or
/// null when it is not installed.
function storectl_plugin_file(string $slug): ?string
{
    wp_clean_plugins_cache(false);
    $files = array_keys(get_plugins("/$slug"));
    if ($files === []) {
        return null;
    }
    $main = in_array("$slug.php", $files, true) ? "$slug.php" : $files[0];
    return "$slug/$main";
}

function storectl_installed_version(string $slug): ?string
{
    $file = storectl_plugin_file($slug);
    return $file === null ? null : get_plugin_data(WP_PLUGIN_DIR . "/$file", false, false)['Version'];
}

/// The plugin's zip from the source, to a file in `$dir` (beside the plugins, on the
/// same volume); why not, as a string.
function storectl_download(string $url, string $dir): string|array
{
    $file = wp_tempnam(basename($url), "$dir/");
    $response = wp_remote_get($url, ['timeout' => 300, 'stream' => true, 'filename' => $file]);
    if (is_wp_error($response)) {
        return ["downloading $url failed: " . $response->get_error_message()];
    }
    $code = (int) wp_remote_retrieve_response_code($response);
    if ($code !== 200) {
        return ["downloading $url failed: HTTP $code " . wp_remote_retrieve_response_message($response)];
    }
    return $file;
}

/// Installs `$slug` at `$version` (null: the latest stable release) from the source, in
/// place of the store's copy if any: unzipped beside wp-content/plugins, checked (the
/// folder `$slug`, a plugin at that version), then swapped in by two renames, so a failed
/// download or a wrong zip leaves the installed plugin as it was.
function storectl_install_plugin(string $slug, ?string $version): void
{
    global $wp_filesystem;
    $source = rtrim(storectl_env('WP_PLUGIN_SOURCE'), '/');
    $url = "$source/$slug." . ($version ?? 'latest-stable') . '.zip';
    $work = WP_CONTENT_DIR . '/upgrade/storectl-' . $slug . '-' . getmypid();
    if (!wp_mkdir_p($work) || !WP_Filesystem()) {
        storectl_fail("cannot write in $work");
    }
    // Nothing of a failed attempt stays behind.
    $abort = function (string $why) use ($work): void {
        $GLOBALS['wp_filesystem']->delete($work, true);
        storectl_fail($why);
    };
    $zip = storectl_download($url, $work);
    if (is_array($zip)) {
        $abort($zip[0]);
    }
    $unzipped = unzip_file($zip, "$work/new");
    $new = "$work/new/$slug";
    if (is_wp_error($unzipped)) {
        $abort("$url is not a zip WordPress can open: " . $unzipped->get_error_message());
    }
    $found = null;
    foreach (glob("$new/*.php") ?: [] as $php) {
        $data = get_plugin_data($php, false, false);
        if ($data['Name'] !== '') {
            $found = $data['Version'];
            break;
        }
    }
    if ($found === null || ($version !== null && $found !== $version)) {
        $what = $found === null ? "no plugin in a folder $slug/" : "$slug $found, not $version";
        $abort("$url holds $what");
    }
    $target = WP_PLUGIN_DIR . "/$slug";
    $had = file_exists($target);
    if ($had && !rename($target, "$work/old")) {
        $abort("cannot move $target aside");
    }
    if (!rename($new, $target)) {
        if ($had) {
            rename("$work/old", $target);
        }
        $abort("cannot move the new $slug into $target");
    }
    $wp_filesystem->delete($work, true);
    wp_clean_plugins_cache(false);
    echo "installed $slug $found from $url\n";
}

function storectl_activate(string $slug): void
{
    $file = storectl_plugin_file($slug);
    if ($file === null) {
        storectl_fail("plugin $slug is not installed");
    }
    if (is_plugin_active($file)) {
        echo "$slug is active\n";
        return;
    }
    $result = activate_plugin($file);
    if (is_wp_error($result)) {
        storectl_fail("activating $slug failed: " . $result->get_error_message());
    }
    echo "activated $slug\n";
}

function storectl_core_install(): void
{
    global $wpdb;
    if (is_blog_installed()) {
        echo "WordPress is already installed\n";
        return;
    }
    $url = rtrim(storectl_env('WP_URL'), '/');
    $password = storectl_env('WP_ADMIN_PASSWORD');
    wp_install(
        storectl_env('WP_TITLE'),
        storectl_env('WP_ADMIN_USER'),
        storectl_env('WP_ADMIN_EMAIL'),
        true,
        '',
        wp_slash($password)
    );
    if ($wpdb->last_error !== '') {
        storectl_fail('installing WordPress produced a database error: ' . $wpdb->last_error);
    }
    update_option('siteurl', $url);
    update_option('home', $url);
    echo "installed WordPress {$GLOBALS['wp_version']} at $url\n";
}

function storectl_plugins_install(): void
{
    foreach (storectl_pinned() as [$slug, $version]) {
        if (storectl_plugin_file($slug) === null) {
            storectl_install_plugin($slug, $version);
        } else {
            echo "$slug is already installed\n";
        }
        storectl_activate($slug);
    }
    foreach (storectl_words('WP_PLUGINS') as $slug) {
        if (storectl_plugin_file($slug) === null) {
            storectl_install_plugin($slug, null);
        }
        storectl_activate($slug);
    }
}

function storectl_permalinks(): void
{
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure(STORECTL_PERMALINKS);
    echo 'permalinks ' . STORECTL_PERMALINKS . "\n";
}

function storectl_rewrite_rules(): void
{
    flush_rewrite_rules(false);
    echo 'rewrite rules flushed (' . count(get_option('rewrite_rules') ?: []) . ")\n";
}

function storectl_core_upgrade(): void
{
    global $wpdb, $wp_db_version;
    if (!is_blog_installed()) {
        storectl_fail('WordPress is not installed (the setup Job installs it)');
    }
    $from = (int) __get_option('db_version');
    if ($from === (int) $wp_db_version) {
        echo "WordPress's database is at version $wp_db_version\n";
        return;
    }
    // As wp-cli's core update-db: an upgrade's harmless MySQL warnings are not failures.
    $wpdb->suppress_errors();
    wp_upgrade();
    $now = (int) __get_option('db_version');
    if ($now !== (int) $wp_db_version) {
        storectl_fail("WordPress's database upgrade left db_version at $now, not $wp_db_version");
    }
    echo "upgraded WordPress's database from version $from to $wp_db_version\n";
}

function storectl_plugins_upgrade(): void
{
    foreach (storectl_pinned() as [$slug, $version]) {
        if (storectl_installed_version($slug) === $version) {
            echo "$slug $version is installed\n";
            continue;
        }
        storectl_install_plugin($slug, $version);
        if ($slug !== 'woocommerce') {
            storectl_activate($slug);
        }
    }
}

/// What WooCommerce's `wp wc update` (WC_CLI_Update_Command::update) does: every update
/// callback of a version above the database's, then the database version set to the
/// plugin's.
function storectl_woocommerce_update(): void
{
    global $wpdb;
    $file = storectl_plugin_file('woocommerce');
    if ($file === null || !is_plugin_active($file)) {
        echo "WooCommerce is not active: no database update\n";
        return;
    }
    if (!defined('WC_ABSPATH')) {
        storectl_fail('WooCommerce is active but did not load (no WC_ABSPATH)');
    }
    $wpdb->hide_errors();
    include_once WC_ABSPATH . 'includes/class-wc-install.php';
    include_once WC_ABSPATH . 'includes/wc-update-functions.php';
    $from = (string) get_option('woocommerce_db_version');
    $run = [];
    foreach (WC_Install::get_db_update_callbacks() as $version => $callbacks) {
        if (version_compare($from, $version, '<')) {
            array_push($run, ...$callbacks);
        }
    }
    foreach ($run as $callback) {
        call_user_func($callback);
    }
    WC_Install::update_db_version();
    if ($run !== []) {
        if (class_exists('WC_Admin_Notices')) {
            WC_Admin_Notices::remove_notice('update', true);
        }
        if (class_exists('WC_Notes_Run_Db_Update')) {
            (new WC_Notes_Run_Db_Update())->set_notice_actioned();
        }
    }
    $to = get_option('woocommerce_db_version');
    echo 'WooCommerce database at version ' . $to . ' (' . count($run) . " updates run)\n";
}

$storectl_step = $argv[1] ?? '';
if (!isset(STORECTL_STEPS[$storectl_step])) {
    storectl_fail('not a step; one of ' . implode(', ', array_keys(STORECTL_STEPS)));
}
ini_set('display_errors', 'stderr');
register_shutdown_function('storectl_shutdown');
if (in_array($storectl_step, ['core-install', 'core-upgrade'], true)) {
    // As wp-cli's core install and update-db: WordPress without the store's plugins.
    define('WP_INSTALLING', true);
}
if ($storectl_step === 'core-install') {
    // No mail to the admin (wp-cli's --skip-email): the store may have no mail yet.
    function wp_new_blog_notification()
    {
    }
}
storectl_request();
// Hooks set before WordPress loads (it keeps a $wp_filter it finds): wp_die() as one
// line, and files written directly by this process (it owns what it writes).
$wp_filter = [
    'wp_die_handler' => [10 => [['function' => fn () => 'storectl_die', 'accepted_args' => 1]]],
    'filesystem_method' => [10 => [['function' => fn () => 'direct', 'accepted_args' => 1]]],
];
require getcwd() . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
(STORECTL_STEPS[$storectl_step])();
