<?php
// storectl's cron runner and version report (docs/stores.md, "Cron and versions").
// The store's `runner` container runs it once a minute: it runs WordPress's due cron
// events exactly as a visitor's page load would (WordPress's own wp-cron.php, with
// DISABLE_WP_CRON set for the store so page loads never do), then reports what the store
// runs: WordPress, its database schema, WooCommerce and the pinned plugins as installed,
// PHP and the database server, when cron last ran and how many Action Scheduler actions
// are past due. The report goes to the store's Lease (STORECTL_REPORT) through the API
// server (its renew time is when cron last ran), with the namespace's default
// ServiceAccount token, mounted into the runner alone, which may patch that one
// Lease and nothing else. It is written when it changes, and at least every
// STORECTL_REPORT_EVERY seconds so storectl sees cron is alive. Nothing secret is read
// into it or printed.

const STORECTL_OVERDUE_AFTER = 600;
// After this long without a renewal the Lease counts as expired: cron stopped.
const STORECTL_LEASE_SECONDS = 600;

function storectl_runner_env($name, $default)
{
    $value = getenv($name);
    return ($value === false || $value === '') ? $default : $value;
}

function storectl_runner_line($text)
{
    fwrite(STDOUT, 'storectl-runner: ' . str_replace(["\r", "\n"], ' ', $text) . "\n");
}

/** What the store runs, read from WordPress itself (null where not known). */
function storectl_runner_versions()
{
    global $wp_version, $wp_db_version, $wpdb;
    $plugins = [];
    if (function_exists('get_plugins')) {
        foreach (get_plugins() as $file => $data) {
            $slug = dirname($file) === '.' ? basename($file, '.php') : dirname($file);
            $plugins[$slug] = [
                'version' => (string) ($data['Version'] ?? ''),
                'active' => is_plugin_active($file),
            ];
        }
        ksort($plugins);
    }
    $woocommerce = $plugins['woocommerce']['version'] ?? null;
    $woocommerce_db = get_option('woocommerce_db_version', null);
    return [
        'wordpress' => (string) $wp_version,
        'wordpressDatabase' => (int) get_option('db_version', 0),
        'wordpressDatabaseExpected' => (int) $wp_db_version,
        'woocommerce' => $woocommerce,
        'woocommerceDatabase' => $woocommerce_db === null ? null : (string) $woocommerce_db,
        'php' => PHP_VERSION,
        'database' => method_exists($wpdb, 'db_server_info') ? (string) $wpdb->db_server_info() : null,
        'plugins' => (object) $plugins,
    ];
}

/** Action Scheduler's pending actions due more than STORECTL_OVERDUE_AFTER seconds ago;
 * null where the store has no Action Scheduler (no WooCommerce). */
function storectl_runner_overdue()
{
    global $wpdb;
    $table = $wpdb->prefix . 'actionscheduler_actions';
    if ($wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $table)) !== $table) {
        return null;
    }
    $before = gmdate('Y-m-d H:i:s', time() - STORECTL_OVERDUE_AFTER);
    return (int) $wpdb->get_var($wpdb->prepare(
        "SELECT COUNT(*) FROM `$table` WHERE status = 'pending' AND scheduled_date_gmt < %s",
        $before
    ));
}

/** The report as this run found the store, or why it could not look. */
function storectl_runner_report($now)
{
    global $wpdb;
    $error = error_get_last();
    $fatal = $error && in_array($error['type'], [E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR], true);
    if (!defined('ABSPATH') || !isset($wpdb) || !function_exists('get_option')) {
        return ['error' => 'WordPress did not load' . ($fatal ? ': ' . $error['message'] : '')];
    }
    if (!$wpdb->ready || !empty($wpdb->error)) {
        return ['error' => 'database: cannot connect'];
    }
    if (!function_exists('is_blog_installed') || !is_blog_installed()) {
        return ['error' => 'WordPress is not installed yet'];
    }
    if (!function_exists('get_plugins')) {
        require_once ABSPATH . 'wp-admin/includes/plugin.php';
    }
    $report = [
        'versions' => storectl_runner_versions(),
        'cron' => ['overdue' => storectl_runner_overdue()],
    ];
    if ($fatal) {
        $report['error'] = 'a cron event failed: ' . $error['message'];
    } else {
        $report['cron']['lastRun'] = gmdate('Y-m-d\TH:i:s.000000\Z', $now);
    }
    return $report;
}

/** PATCHes the store's Lease: the report as its annotation, the last run as its renew
 * time. An error line, or null. */
function storectl_runner_send($report)
{
    $dir = storectl_runner_env('STORECTL_TOKEN_DIR', '/var/run/secrets/storectl');
    $host = storectl_runner_env('KUBERNETES_SERVICE_HOST', '');
    $port = storectl_runner_env('KUBERNETES_SERVICE_PORT', '443');
    $namespace = storectl_runner_env('STORECTL_NAMESPACE', '');
    $name = storectl_runner_env('STORECTL_REPORT', '');
    $token = trim((string) @file_get_contents($dir . '/token'));
    if ($host === '' || $namespace === '' || $name === '' || $token === '') {
        return 'no API server, namespace, Lease or token to report to';
    }
    if (strpos($host, ':') !== false) {
        $host = '[' . $host . ']';
    }
    $url = "https://$host:$port/apis/coordination.k8s.io/v1/namespaces/" . rawurlencode($namespace)
        . '/leases/' . rawurlencode($name) . '?fieldManager=storectl-runner';
    $annotation = $report;
    unset($annotation['cron']['lastRun']);
    $patch = ['metadata' => ['annotations' => ['storectl.io/report' => json_encode($annotation, JSON_UNESCAPED_SLASHES)]]];
    if (isset($report['cron']['lastRun'])) {
        $patch['spec'] = [
            'holderIdentity' => 'runner',
            'leaseDurationSeconds' => STORECTL_LEASE_SECONDS,
            'renewTime' => $report['cron']['lastRun'],
        ];
    }
    $context = stream_context_create([
        'http' => [
            'method' => 'PATCH',
            'header' => "Authorization: Bearer $token\r\nContent-Type: application/merge-patch+json\r\nAccept: application/json\r\n",
            'content' => json_encode($patch, JSON_UNESCAPED_SLASHES),
            'timeout' => 10,
            'ignore_errors' => true,
        ],
        'ssl' => ['cafile' => $dir . '/ca.crt', 'verify_peer' => true, 'verify_peer_name' => true],
    ]);
    $body = @file_get_contents($url, false, $context);
    $status = isset($http_response_header[0]) && preg_match('/^HTTP\/\S+ (\d{3})/', $http_response_header[0], $m) ? (int) $m[1] : 0;
    if ($status === 200) {
        return null;
    }
    if ($status === 0) {
        $error = error_get_last();
        return 'the API server did not answer: ' . ($error ? $error['message'] : 'no response');
    }
    $answer = json_decode((string) $body, true);
    return "the API server answered $status: " . (is_array($answer) ? ($answer['message'] ?? '') : '');
}

/** Sends the report when it changed (apart from its time) or the last one is older than
 * STORECTL_REPORT_EVERY seconds; remembers what was sent in STORECTL_STATE. */
function storectl_runner_finish($now)
{
    $report = storectl_runner_report($now);
    $state_file = storectl_runner_env('STORECTL_STATE', sys_get_temp_dir() . '/storectl-runner.json');
    $state = json_decode((string) @file_get_contents($state_file), true) ?: [];
    if (!isset($report['cron']['lastRun']) && isset($state['report']['cron']['lastRun'])) {
        $report['cron']['lastRun'] = $state['report']['cron']['lastRun'];
    }
    $content = $report;
    unset($content['cron']['lastRun']);
    $content = json_encode($content, JSON_UNESCAPED_SLASHES);
    $every = (int) storectl_runner_env('STORECTL_REPORT_EVERY', '300');
    $summary = isset($report['error']) ? $report['error'] : 'cron ran, ' . json_encode($report['cron']['overdue']) . ' overdue';
    if (($state['content'] ?? null) === $content && $now - ($state['sent'] ?? 0) < $every) {
        storectl_runner_line("$summary; report unchanged");
        return;
    }
    $failed = storectl_runner_send($report);
    if ($failed !== null) {
        storectl_runner_line("$summary; report not sent: $failed");
        return;
    }
    @file_put_contents($state_file, json_encode(['content' => $content, 'sent' => $now, 'report' => $report]));
    storectl_runner_line("$summary; report sent");
}

$storectl_root = storectl_runner_env('STORECTL_WORDPRESS_ROOT', '/var/www/html');
$storectl_now = time();
register_shutdown_function(function () use ($storectl_now) {
    // wp-cron.php ends with die(): the report is made after it, with WordPress loaded.
    while (ob_get_level() > 0) {
        ob_end_clean();
    }
    storectl_runner_finish($storectl_now);
});
chdir($storectl_root);
// WordPress's page output (a database error page, an install redirect) is not ours to print.
ob_start();
require $storectl_root . '/wp-cron.php';
