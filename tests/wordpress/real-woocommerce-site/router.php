<?php
/**
 * SyncFlow TEST ONLY — router for `php -S` serving the real-WooCommerce test tree: existing files and directories
 * are left to the built-in server (PHP files run, directories serve their index.php, static files are sent);
 * every other path goes to WordPress's index.php (pretty permalinks, /wp-json/).
 *
 * @package SyncFlow_Tests
 */

$syncflow_path = urldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
if ( file_exists( $_SERVER['DOCUMENT_ROOT'] . $syncflow_path ) ) {
	return false;
}
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
return true;
