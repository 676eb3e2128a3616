<?php
// storectl's readiness check of a store's WordPress container (docs/stores.md).
// Mounted read-only from the store's ConfigMap at /var/www/html/storectl-health.php, not
// on the volume: no WordPress is loaded (no plugin runs, none can answer for it). It
// reads the database settings as the image's wp-config-docker.php does, runs SELECT 1,
// and answers 200 "ok" or 503 with one line naming what failed. The password is never
// printed.
function storectl_env($name, $default)
{
    $file = getenv($name . '_FILE');
    if ($file) {
        return rtrim((string) @file_get_contents($file), "\r\n");
    }
    $value = getenv($name);
    return $value === false ? $default : $value;
}

function storectl_answer($status, $line, $password)
{
    $line = str_replace(["\r", "\n"], ' ', $line);
    if ($password !== '') {
        $line = str_replace($password, '***', $line);
    }
    http_response_code($status);
    header('Content-Type: text/plain; charset=utf-8');
    header('Cache-Control: no-store');
    echo $line, "\n";
    exit;
}

mysqli_report(MYSQLI_REPORT_OFF);
$host = storectl_env('WORDPRESS_DB_HOST', 'mysql');
$password = storectl_env('WORDPRESS_DB_PASSWORD', '');
$port = 3306;
if (preg_match('/^(.*):(\d+)$/', $host, $m)) {
    [$host, $port] = [$m[1], (int) $m[2]];
}
$db = mysqli_init();
$db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 2);
$db->options(MYSQLI_OPT_READ_TIMEOUT, 2);
$connected = @$db->real_connect(
    $host,
    storectl_env('WORDPRESS_DB_USER', 'example username'),
    $password,
    storectl_env('WORDPRESS_DB_NAME', 'wordpress'),
    $port
);
if (!$connected) {
    storectl_answer(503, 'database: ' . mysqli_connect_error(), $password);
}
$result = @$db->query('SELECT 1');
$row = $result ? $result->fetch_row() : null;
if (!$row || $row[0] != 1) {
    storectl_answer(503, 'database: ' . ($db->error !== '' ? $db->error : 'SELECT 1 returned no row'), $password);
}
$db->close();
storectl_answer(200, 'ok', $password);
