<?php
/**
 * Plugin Name: storectl mail
 * Description: Sends this store's mail through the SMTP server storectl configures (mail.* keys). Managed by storectl: a read-only file from the store's ConfigMap <store>-wordpress-mail.
 *
 * Everything comes from the WordPress container's environment (the password from the
 * store's own Secret <store>-mail); nothing here holds a setting. Without
 * STORECTL_SMTP_HOST it does nothing and WordPress mails as it would without it.
 */

if (!defined('ABSPATH')) {
    exit;
}

/** The SMTP settings storectl put into the environment, or null when mail is off. */
function storectl_mail_settings(): ?array
{
    $host = (string) getenv('STORECTL_SMTP_HOST');
    if ($host === '') {
        return null;
    }
    $port = (int) getenv('STORECTL_SMTP_PORT');
    return [
        'host' => $host,
        'port' => $port > 0 ? $port : 587,
        'username' => (string) getenv('STORECTL_SMTP_USERNAME'),
        'password' => (string) getenv('STORECTL_SMTP_PASSWORD'),
        'from' => (string) getenv('STORECTL_MAIL_FROM'),
        'from_name' => (string) getenv('STORECTL_MAIL_FROM_NAME'),
    ];
}

/**
 * PHPMailer as storectl configures it: SMTP to the host and port, a login when a user
 * name is set, implicit TLS on 465 and STARTTLS wherever the server offers it, and
 * every message from mail.from (also the envelope sender). Runs last, so the store's
 * From is the configured one whatever a plugin set.
 */
function storectl_mail_configure($mailer): void
{
    $smtp = storectl_mail_settings();
    if ($smtp === null) {
        return;
    }
    $mailer->isSMTP();
    $mailer->Host = $smtp['host'];
    $mailer->Port = $smtp['port'];
    $mailer->SMTPAuth = $smtp['username'] !== '';
    $mailer->Username = $smtp['username'];
    $mailer->Password = $smtp['password'];
    if ($smtp['port'] === 465) {
        $mailer->SMTPSecure = 'ssl';
        $mailer->SMTPAutoTLS = false;
    } else {
        $mailer->SMTPSecure = '';
        $mailer->SMTPAutoTLS = true;
    }
    // Connecting, and each answer of the server: a store's page waits no longer.
    $mailer->Timeout = 20;
    $mailer->getSMTPInstance()->Timelimit = 30;
    if ($smtp['from'] !== '') {
        $mailer->setFrom($smtp['from'], $smtp['from_name'], false);
        $mailer->Sender = $smtp['from'];
    }
}

add_action('phpmailer_init', 'storectl_mail_configure', PHP_INT_MAX - 1);

/** The From wp_mail() starts with: mail.from, whatever WordPress or a plugin chose. */
add_filter('wp_mail_from', function ($from) {
    $smtp = storectl_mail_settings();
    return $smtp !== null && $smtp['from'] !== '' ? $smtp['from'] : $from;
}, PHP_INT_MAX - 1);
add_filter('wp_mail_from_name', function ($name) {
    $smtp = storectl_mail_settings();
    return $smtp !== null && $smtp['from'] !== '' && $smtp['from_name'] !== '' ? $smtp['from_name'] : $name;
}, PHP_INT_MAX - 1);
