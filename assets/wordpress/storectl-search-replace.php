<?php
// storectl's URL rewrite of a clone (docs/backups.md): OLD_URL replaced by NEW_URL in every
// table of the store's database (guid columns aside, as WordPress asks), inside
// PHP-serialized values too, whose lengths are written anew: what `wp search-replace
// OLD NEW --all-tables --skip-columns=guid` does. It loads no WordPress, so no plugin,
// theme or must-use plugin the clone brought runs here; it reads the database settings as
// the image's wp-config.php does (WORDPRESS_DB_*, or their _FILE variants). Serialized
// objects other than stdClass are left as they are (their classes are not loaded). A
// table without a primary key cannot be updated row by row and is named, not changed.
// Prints one line {"rewritten":NEW_URL,"rows":N,"skipped":[tables]}, or fails with
// `error: ...` on stderr and exit status 1. The password is never printed.

function storectl_sr_env($name, $default)
{
    $file = getenv($name . '_FILE');
    if ($file) {
        return rtrim((string) @file_get_contents($file), "\r\n");
    }
    $value = getenv($name);
    return $value === false ? $default : $value;
}

function storectl_sr_fail($why)
{
    fwrite(STDERR, 'error: ' . str_replace(["\r", "\n"], ' ', $why) . "\n");
    exit(1);
}

/** `$value` with `$old` replaced, inside serialized data too. */
function storectl_sr_value($value, $old, $new)
{
    if (is_string($value)) {
        $data = storectl_sr_unserialize($value);
        if ($data !== null) {
            return serialize(storectl_sr_value($data[0], $old, $new));
        }
        return str_replace($old, $new, $value);
    }
    if (is_array($value)) {
        foreach ($value as $key => $item) {
            $value[$key] = storectl_sr_value($item, $old, $new);
        }
        return $value;
    }
    if ($value instanceof stdClass) {
        foreach (get_object_vars($value) as $key => $item) {
            $value->$key = storectl_sr_value($item, $old, $new);
        }
    }
    return $value;
}

/** [the data] when `$text` is PHP-serialized, else null. */
function storectl_sr_unserialize($text)
{
    $text = trim($text);
    if ($text === 'b:0;') {
        return [false];
    }
    if (!preg_match('/^(?:[aOs]:\d+:|[bid]:[^;]*;|N;)/s', $text)) {
        return null;
    }
    $data = @unserialize($text, ['allowed_classes' => ['stdClass']]);
    if ($data === false) {
        return null;
    }
    // An object of a class not loaded here is kept as it was.
    return storectl_sr_has_foreign_object($data) ? null : [$data];
}

function storectl_sr_has_foreign_object($data)
{
    if ($data instanceof __PHP_Incomplete_Class) {
        return true;
    }
    if (is_array($data) || $data instanceof stdClass) {
        foreach ((array) $data as $item) {
            if (storectl_sr_has_foreign_object($item)) {
                return true;
            }
        }
    }
    return false;
}

function storectl_sr_quote($name)
{
    return '`' . str_replace('`', '``', $name) . '`';
}

/** Rows of `$table` changed; null when it has no primary key. */
function storectl_sr_table($db, $table, $old, $new)
{
    $columns = [];
    $keys = [];
    $described = $db->query('SHOW COLUMNS FROM ' . storectl_sr_quote($table));
    foreach ($described->fetch_all(MYSQLI_ASSOC) as $column) {
        if ($column['Key'] === 'PRI') {
            $keys[] = $column['Field'];
        }
        $textual = preg_match('/char|text|blob|json|enum|set/i', $column['Type']);
        if ($textual && strtolower($column['Field']) !== 'guid') {
            $columns[] = $column['Field'];
        }
    }
    if ($columns === []) {
        return 0;
    }
    if ($keys === []) {
        return null;
    }
    $like = '%' . addcslashes($old, '\\%_') . '%';
    $where = implode(' OR ', array_map(fn ($c) => storectl_sr_quote($c) . ' LIKE ?', $columns));
    $select = $db->prepare(
        'SELECT ' . implode(', ', array_map('storectl_sr_quote', array_merge($keys, $columns)))
        . ' FROM ' . storectl_sr_quote($table) . " WHERE $where"
    );
    $select->bind_param(str_repeat('s', count($columns)), ...array_fill(0, count($columns), $like));
    $select->execute();
    $rows = $select->get_result()->fetch_all(MYSQLI_ASSOC);
    $changed = 0;
    foreach ($rows as $row) {
        $set = [];
        foreach ($columns as $column) {
            if ($row[$column] === null || strpos($row[$column], $old) === false) {
                continue;
            }
            $after = storectl_sr_value($row[$column], $old, $new);
            if ($after !== $row[$column]) {
                $set[$column] = $after;
            }
        }
        if ($set === []) {
            continue;
        }
        $assign = implode(', ', array_map(fn ($c) => storectl_sr_quote($c) . ' = ?', array_keys($set)));
        $match = implode(' AND ', array_map(fn ($k) => storectl_sr_quote($k) . ' = ?', $keys));
        $update = $db->prepare('UPDATE ' . storectl_sr_quote($table) . " SET $assign WHERE $match");
        $values = array_merge(array_values($set), array_map(fn ($k) => (string) $row[$k], $keys));
        $update->bind_param(str_repeat('s', count($values)), ...$values);
        $update->execute();
        $changed++;
    }
    return $changed;
}

$old = storectl_sr_env('OLD_URL', '');
$new = storectl_sr_env('NEW_URL', '');
$result = storectl_sr_env('RESULT', '/dev/termination-log');
$password = storectl_sr_env('WORDPRESS_DB_PASSWORD', '');
if ($old === '' || $new === '') {
    storectl_sr_fail('OLD_URL and NEW_URL must both be set');
}
$failure = "rewriting the URLs from $old to $new failed";
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
try {
    $host = storectl_sr_env('WORDPRESS_DB_HOST', 'mysql');
    $port = 3306;
    if (preg_match('/^(.*):(\d+)$/', $host, $m)) {
        [$host, $port] = [$m[1], (int) $m[2]];
    }
    $db = new mysqli(
        $host,
        storectl_sr_env('WORDPRESS_DB_USER', 'example username'),
        $password,
        storectl_sr_env('WORDPRESS_DB_NAME', 'wordpress'),
        $port
    );
    $db->set_charset('utf8mb4');
    $rows = 0;
    $skipped = [];
    foreach ($db->query('SHOW FULL TABLES WHERE Table_type = \'BASE TABLE\'')->fetch_all() as [$table]) {
        $db->begin_transaction();
        $changed = storectl_sr_table($db, $table, $old, $new);
        $db->commit();
        if ($changed === null) {
            $skipped[] = $table;
        } else {
            $rows += $changed;
        }
    }
} catch (mysqli_sql_exception $e) {
    $why = $password === '' ? $e->getMessage() : str_replace($password, '***', $e->getMessage());
    @file_put_contents($result, json_encode(['error' => $failure], JSON_UNESCAPED_SLASHES) . "\n");
    storectl_sr_fail("$failure: $why");
}
$line = json_encode(['rewritten' => $new, 'rows' => $rows, 'skipped' => $skipped], JSON_UNESCAPED_SLASHES) . "\n";
@file_put_contents($result, $line);
echo $line;
