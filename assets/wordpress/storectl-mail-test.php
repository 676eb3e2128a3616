<?php
/**
 * storectl mail-test: sends one message from the store, as the store sends mail, and
 * reports the SMTP server's answer as one line of JSON (stdout, and the file
 * STORECTL_RESULT_FILE names: the Job's termination message):
 *   {"ok":true,"answer":"250 ...","to":"...","from":"..."}
 *   {"ok":false,"answer":"535 ... (or why there was no answer)","error":"...","to":"...","from":"..."}
 * It loads the store's WordPress (wp-load.php under STORECTL_WORDPRESS, default
 * /var/www/html: the image's core, the store's wp-content, storectl's mu-plugin) and
 * calls wp_mail() to STORECTL_MAIL_TO. Only the server's lines are kept from PHPMailer's
 * conversation (never the client's, which carry the login), and the password is
 * removed from anything written. Exits 0 when it could ask (whatever the server said),
 * 1 when it could not run.
 */

function storectl_mail_test_result(array $result): void
{
    $secret = (string) getenv('STORECTL_SMTP_PASSWORD');
    $user = (string) getenv('STORECTL_SMTP_USERNAME');
    $line = json_encode($result, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    if ($secret !== '') {
        foreach ([$secret, base64_encode($secret), base64_encode("\0$user\0$secret"), rawurlencode($secret)] as $hidden) {
            $line = str_replace($hidden, '<hidden>', $line);
        }
    }
    echo $line, "\n";
    $file = (string) getenv('STORECTL_RESULT_FILE');
    if ($file !== '') {
        @file_put_contents($file, $line . "\n");
    }
}

$to = (string) getenv('STORECTL_MAIL_TO');
$base = ['to' => $to, 'from' => (string) getenv('STORECTL_MAIL_FROM')];
if ((string) getenv('STORECTL_SMTP_HOST') === '') {
    storectl_mail_test_result($base + ['ok' => false, 'answer' => '', 'error' => 'mail is not configured for this store (mail.smtp.host is empty)']);
    exit(1);
}

$root = rtrim((string) (getenv('STORECTL_WORDPRESS') ?: '/var/www/html'), '/');
$_SERVER['HTTP_HOST'] = $_SERVER['HTTP_HOST'] ?? 'localhost';
define('WP_USE_THEMES', false);
require $root . '/wp-load.php';

$server = [];
$failure = '';
add_action('phpmailer_init', function ($mailer) use (&$server) {
    $mailer->SMTPDebug = 2;
    $mailer->Debugoutput = function ($text, $level) use (&$server) {
        $text = trim((string) $text);
        if (strpos($text, 'SERVER -> CLIENT:') === 0) {
            foreach (preg_split('/\r?\n/', trim(substr($text, strlen('SERVER -> CLIENT:')))) as $reply) {
                if (trim($reply) !== '') {
                    $server[] = trim($reply);
                }
            }
        } elseif (stripos($text, 'SMTP ERROR') === 0 || stripos($text, 'Connection failed') === 0) {
            $server[] = $text;
        }
    };
}, PHP_INT_MAX);
add_action('wp_mail_failed', function ($error) use (&$failure) {
    $failure = $error->get_error_message();
});

$site = get_bloginfo('name');
$sent = wp_mail(
    $to,
    sprintf('storectl mail-test from %s', $site),
    sprintf("This message was sent by `storectl mail-test` from the store %s (%s) through its SMTP server.\n", $site, home_url())
);

// The answer: the server's acceptance of the message (its last 250 before QUIT's 221),
// or its last refusal, or what PHPMailer said when no server answered.
$answer = '';
foreach ($sent ? ['/^250/'] : ['/^[45]\d\d/', '/^SMTP ERROR/'] as $pattern) {
    foreach (array_reverse($server) as $reply) {
        if ($answer === '' && preg_match($pattern, $reply)) {
            $answer = $reply;
        }
    }
}
$result = $base + ['ok' => (bool) $sent, 'answer' => $answer !== '' ? $answer : $failure];
if (!$sent) {
    $result['error'] = $failure;
}
storectl_mail_test_result($result);
exit(0);
